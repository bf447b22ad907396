import { randomBytes } from 'node:crypto';
import t from 'tap';
import { buildTestApp, makeAdmin, newUser } from './helpers';

const { app } = await buildTestApp(t);
const admin = await newUser(app);
await makeAdmin(app, admin.userId);
const user = await newUser(app);

const list = (query: string, sessionId = admin.sessionId) =>
  app.inject({ method: 'GET', url: `/api/v1/sms_messages${query}`, headers: { 'x-session-id': sessionId } });

const ids: string[] = [];
for (const [i, data] of [
  { status: 'sent', deliveryStatus: 'delivered', userId: user.userId, provider: 'http', providerMessageId: 'gw-1' },
  { status: 'failed', lastError: 'MessageBird: HTTP 422, code 9: no (correct) recipients found', userId: user.userId },
  { status: 'queued', userId: admin.userId },
].entries()) {
  const id = randomBytes(16).toString('hex');
  ids.push(id);
  await app.prisma.smsMessage.create({
    data: {
      id,
      recipient: '+380501234567',
      body: 'Your verification code is 987654',
      createTime: new Date(Date.UTC(2026, 10, 30, 10, 0, i)),
      ...(data as object),
    },
  });
}

t.test('admins list messages newest first, without their bodies', async (t) => {
  const res = await list('');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.total, 3);
  t.same(
    body.data.map((m: { id: string }) => m.id),
    [...ids].reverse(),
  );
  t.notOk(JSON.stringify(body).includes('987654'), 'no code, no body');
  t.match(body.data[1], {
    status: 'failed',
    attempts: 0,
    last_error: /code 9/,
    delivery_status: null,
    recipient: '+380501234567',
    provider: null,
    provider_message_id: null,
  });
  t.match(body.data[2], {
    status: 'sent',
    delivery_status: 'delivered',
    user_id: user.userId,
    provider: 'http',
    provider_message_id: 'gw-1',
  });
});

t.test('filters and paging', async (t) => {
  t.same((await list(`?user_id=${user.userId}`)).json().total, 2);
  t.same((await list('?status=queued')).json().data[0].id, ids[2]);
  t.same(
    (await list('?delivery_status=delivered')).json().data.map((m: { id: string }) => m.id),
    [ids[0]],
  );
  const page = (await list('?skip=1&take=1')).json();
  t.same([page.total, page.data.map((m: { id: string }) => m.id)], [3, [ids[1]]]);
  t.equal((await list('?status=lost')).statusCode, 400);
  t.equal((await list('?take=0')).statusCode, 400);
});

t.test('only admins', async (t) => {
  t.equal((await list('', user.sessionId)).statusCode, 403);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/sms_messages' })).statusCode, 401);
});
