// SMS pumping: who can be texted, and the send budgets beyond the phone (per
// account, per client IP, per destination country, global), each held across
// two API instances on one database and Redis.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { body, buildTestApp, secondInstance, makeAdmin, newUser } from './helpers';
import { freshPhone, putPhone, resend } from './sms-helpers';

const smsCount = (app: FastifyInstance) => app.prisma.smsMessage.count();

function put(app: FastifyInstance, user: { sessionId: string; userId: string }, phone: string, ip = '127.0.0.1') {
  return app.inject({
    method: 'PUT',
    url: `/api/v1/sms_settings/${user.userId}`,
    headers: { 'x-session-id': user.sessionId },
    remoteAddress: ip,
    payload: { phone },
  });
}

function tally(answers: LightMyRequestResponse[]) {
  const ok = answers.filter((r) => r.statusCode === 200).length;
  const limited = answers.filter((r) => r.statusCode === 429);
  return { ok, limited: limited.length, retryAfter: limited.every((r) => Number(r.headers['retry-after']) > 0) };
}

t.test('25 distinct numbers from one account: at most SMS_MAX_PER_ACCOUNT_PER_HOUR SMS', async (t) => {
  const { app: a, config } = await buildTestApp(t, { SMS_MAX_PER_IP_PER_HOUR: '1000' });
  const b = await secondInstance(t, config);
  const user = await newUser(a);
  const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => put(i % 2 ? b : a, user, freshPhone())));
  const { ok, limited, retryAfter } = tally(answers);
  t.equal(ok, config.SMS_MAX_PER_ACCOUNT_PER_HOUR, `${ok} accepted`);
  t.equal(limited, 25 - ok, 'the rest are 429');
  t.ok(retryAfter, 'every 429 names Retry-After');
  t.ok(answers.every((r) => r.statusCode === 200 || body(r).code === 'TOO_MANY_REQUESTS'));
  t.equal(await smsCount(a), config.SMS_MAX_PER_ACCOUNT_PER_HOUR, 'SMS queued: the budget, no more');
});

t.test('25 distinct numbers from one address across 5 accounts: at most SMS_MAX_PER_IP_PER_HOUR SMS', async (t) => {
  const { app: a, config } = await buildTestApp(t);
  const b = await secondInstance(t, config);
  const users = await Promise.all(Array.from({ length: 5 }, () => newUser(a)));
  const ip = '198.51.100.7';
  const answers = await Promise.all(
    Array.from({ length: 25 }, (_, i) => put(i % 2 ? b : a, users[i % 5]!, freshPhone(), ip)),
  );
  const { ok, limited, retryAfter } = tally(answers);
  t.equal(ok, config.SMS_MAX_PER_IP_PER_HOUR, `${ok} accepted`);
  t.equal(limited, 25 - ok);
  t.ok(retryAfter);
  t.equal(await smsCount(a), config.SMS_MAX_PER_IP_PER_HOUR);

  const other = await put(b, users[0]!, freshPhone(), '198.51.100.8');
  t.equal(other.statusCode, 200, 'another address of the same accounts is not limited');
  const resent = await a.inject({
    method: 'POST',
    url: '/api/v1/sms_settings/resend',
    remoteAddress: ip,
    payload: { phone: freshPhone() },
  });
  t.equal(resent.statusCode, 429, 'resend spends the same per-address budget');
});

// Examples per type, as classified by libphonenumber's full metadata.
const refused: [string, string][] = [
  ['premium rate, UK 909', '+449098790000'],
  ['premium rate, US 900', '+19002345678'],
  ['premium rate, DE 900', '+499001234567'],
  ['premium rate, PL 701', '+48701234567'],
  ['international premium rate +979', '+979123456789'],
  ['shared cost, FR 0810', '+33810123456'],
  ['toll free, UK 0800', '+448001234567'],
  ['toll free, US 800', '+18002345678'],
  ['VoIP, UK 056', '+445612345678'],
  ['UAN, UK 03', '+443001234567'],
  ['pager, UK 076', '+447640123456'],
  ['personal number, UK 070', '+447012345678'],
  ['satellite +881', '+881612345678'],
  ['landline, UA Kyiv', '+380441234567'],
  ['landline, UK London', '+442079460958'],
];

t.test('numbers that cannot receive SMS or are paid lines get PHONE_TYPE_NOT_ALLOWED and no SMS', async (t) => {
  const { app } = await buildTestApp(t, { SMS_MAX_PER_ACCOUNT_PER_HOUR: '1000', SMS_MAX_PER_IP_PER_HOUR: '1000' });
  const user = await newUser(app);
  for (const [kind, phone] of refused) {
    const res = await put(app, user, phone);
    t.equal(res.statusCode, 400, kind);
    t.match(body(res), { code: 'PHONE_TYPE_NOT_ALLOWED', details: { field: 'phone' } }, kind);
    t.equal(body(await resend(app, phone)).code, 'PHONE_TYPE_NOT_ALLOWED', `${kind}: resend alike`);
  }
  t.equal(await smsCount(app), 0, 'no SMS row');
  t.equal((await put(app, user, '+447400123456')).statusCode, 200, 'a UK mobile is texted');
  t.equal((await put(app, user, '+12015550123')).statusCode, 200, 'a US number (mobile or fixed) is texted');
});

async function budgetMetric(app: FastifyInstance, budget: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith('sms_budget_exceeded_total') && l.includes(`"${budget}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

t.test('a tripped global budget answers 429 and raises the alert metric', async (t) => {
  const { app: a, config } = await buildTestApp(t, { SMS_GLOBAL_MAX_PER_MINUTE: '3' });
  const b = await secondInstance(t, config);
  const users = await Promise.all(Array.from({ length: 8 }, () => newUser(a)));
  const answers = await Promise.all(users.map((u, i) => put(i % 2 ? b : a, u, freshPhone(), `203.0.113.${i + 1}`)));
  t.equal(tally(answers).ok, 3, 'the global budget holds across instances');
  t.equal(tally(answers).limited, 5);
  t.equal((await budgetMetric(a, 'global')) + (await budgetMetric(b, 'global')), 5, 'each refusal is counted');
  t.equal(await smsCount(a), 3);
});

t.test('a tripped country budget answers 429 for that country only and raises the alert metric', async (t) => {
  const { app } = await buildTestApp(t, { SMS_MAX_PER_COUNTRY_PER_HOUR: '2' });
  const users = await Promise.all(Array.from({ length: 4 }, () => newUser(app)));
  const codes = [];
  for (const [i, u] of users.slice(0, 3).entries())
    codes.push((await put(app, u, freshPhone(), `192.0.2.${i}`)).statusCode);
  t.same(codes, [200, 200, 429]);
  t.equal(await budgetMetric(app, 'country'), 1);
  t.equal((await put(app, users[3]!, '+447400123456', '192.0.2.9')).statusCode, 200, 'another country still works');
});

t.test('PHONE_IN_USE is no free oracle: the holder check spends the account budget first', async (t) => {
  const { app, config } = await buildTestApp(t, { SMS_MAX_PER_IP_PER_HOUR: '1000' });
  const owner = await newUser(app);
  await makeAdmin(app, owner.userId);
  const held = freshPhone();
  t.equal((await putPhone(app, owner.sessionId, owner.userId, { phone: held, verified: true })).statusCode, 200);
  const prober = await newUser(app);
  const answers = [];
  for (let i = 0; i < 10; i++) answers.push((await put(app, prober, i === 7 ? held : freshPhone())).statusCode);
  const allowed = config.SMS_MAX_PER_ACCOUNT_PER_HOUR;
  t.same(answers.slice(0, allowed), Array(allowed).fill(200));
  t.same(answers.slice(allowed), Array(10 - allowed).fill(429), 'the held phone answers 429 like any other');
  const probe = await put(app, owner, held);
  t.equal(probe.statusCode, 200, 'the holder itself is not limited for its own phone');
});
