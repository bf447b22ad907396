// The http provider's delivery reports (POST /api/v1/webhooks/http) against the
// real MariaDB and Redis, each signed here with the Standard Webhooks algorithm
// (@sms/testing, node:crypto), not with the code under test.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { HTTP_PROVIDER_SECRET, signBirdWebhook } from '@sms/testing';
import { buildTestApp, errorBody } from './helpers';

const { app } = await buildTestApp(t, { SMS_HTTP_SECRET: HTTP_PROVIDER_SECRET });
const URL = '/api/v1/webhooks/http';
const REFUSED = 'the webhook signature is missing, invalid, expired or replayed';

async function sentMessage(): Promise<string> {
  const id = randomBytes(16).toString('hex');
  await app.prisma.smsMessage.create({
    data: { id, recipient: '+380501234567', body: '[redacted]', status: 'sent', attempts: 1, sentTime: new Date() },
  });
  return id;
}

const post = (body: string, headers: Record<string, string>) =>
  app.inject({ method: 'POST', url: URL, payload: body, headers });
const sign = (body: string, options: { secret?: string; timestamp?: number; id?: string } = {}) =>
  signBirdWebhook({ body, secret: HTTP_PROVIDER_SECRET, ...options });
const report = (message_id: string, status: string, timestamp: string, error?: string) =>
  JSON.stringify({ message_id, status, timestamp, ...(error ? { error } : {}) });
const row = (id: string) => app.prisma.smsMessage.findUniqueOrThrow({ where: { id } });
const now = () => Math.floor(Date.now() / 1000);

t.test('a signed report is applied; a later, older one is stale (monotonic)', async (t) => {
  const id = await sentMessage();
  const failed = report(id, 'delivery_failed', '2026-11-30T10:00:05Z', 'unreachable');
  const res = await post(failed, sign(failed));
  t.same([res.statusCode, res.json()], [200, { result: 'applied' }]);
  let message = await row(id);
  t.equal(message.deliveryStatus, 'delivery_failed');
  t.equal(message.deliveryError, 'http provider: unreachable');
  t.same(message.deliveryTime, new Date('2026-11-30T10:00:05Z'));

  const delivered = report(id, 'delivered', '2026-11-30T10:00:09Z');
  t.same((await post(delivered, sign(delivered))).json(), { result: 'applied' }, 'a newer report moves it on');
  const older = report(id, 'expired', '2026-11-30T10:00:01Z');
  t.same((await post(older, sign(older))).json(), { result: 'stale' }, 'an older one changes nothing');
  message = await row(id);
  t.equal(message.deliveryStatus, 'delivered');
});

t.test('forged, stale, replayed or unsigned reports answer 401 and change nothing', async (t) => {
  const id = await sentMessage();
  const body = report(id, 'delivered', '2026-11-30T10:00:05Z');
  const signed = sign(body);
  const otherKey = `whsec_${Buffer.from('not-the-http-provider-secret').toString('base64')}`;
  const cases: [string, () => ReturnType<typeof post>][] = [
    ['no signature headers', () => post(body, { 'content-type': 'application/json' })],
    ['another secret', () => post(body, sign(body, { secret: otherKey }))],
    ['the body changed after signing', () => post(body.replace('delivered', 'expired'), signed)],
    ['signed six minutes ago', () => post(body, sign(body, { timestamp: now() - 360 }))],
    ['garbage', () => post(body, { ...signed, 'webhook-signature': 'v1,bm90IGEgc2lnbmF0dXJl' })],
  ];
  for (const [what, send] of cases) {
    const res = await send();
    t.equal(res.statusCode, 401, what);
    t.same(res.json(), errorBody(res, 'INVALID_SIGNATURE', 401, REFUSED), what);
  }
  t.equal((await row(id)).deliveryStatus, null, 'nothing changed');

  t.equal((await post(body, signed)).statusCode, 200, 'the first use counts');
  const later = report(id, 'delivery_failed', '2026-11-30T10:00:01Z');
  const laterHeaders = sign(later);
  await app.prisma.smsMessage.update({ where: { id }, data: { deliveryStatus: null, deliveryTime: null } });
  const replay = await post(body, signed);
  t.equal(replay.statusCode, 401, 'its replay is refused');
  t.equal((await row(id)).deliveryStatus, null, 'and changes nothing');
  t.equal((await post(later, laterHeaders)).statusCode, 200, 'another delivery still counts');
});

t.test('an unknown message answers 200 and changes nothing; a wrong shape is 400', async (t) => {
  for (const messageId of [randomBytes(16).toString('hex'), 'not-one-of-ours']) {
    const body = report(messageId, 'delivered', '2026-11-30T10:00:00Z');
    const res = await post(body, sign(body));
    t.same([res.statusCode, res.json()], [200, { result: 'unknown' }], messageId);
  }
  const bad = JSON.stringify({ message_id: 'x', status: 'sent', timestamp: 'now' });
  const res = await post(bad, sign(bad));
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'INVALID_REQUEST', status: 400, details: { part: 'body' } });
});

t.test('without SMS_HTTP_SECRET every report is refused', async (t) => {
  const { app: bare } = await buildTestApp(t, {});
  const body = report(randomBytes(16).toString('hex'), 'delivered', '2026-11-30T10:00:00Z');
  const res = await bare.inject({ method: 'POST', url: URL, payload: body, headers: sign(body) });
  t.equal(res.statusCode, 401);
});
