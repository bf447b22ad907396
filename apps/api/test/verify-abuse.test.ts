// Hijacked verification and bounded guessing: a code verifies only the
// account it was sent for, wrong codes are bounded per phone across codes,
// wrong passwords per login across addresses; common passwords are refused.
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { body, buildTestApp, secondInstance, newUser } from './helpers';
import { freshPhone, lastCode, putPhone, resend, verify, verifyAs } from './sms-helpers';

const verified = async (app: FastifyInstance, userId: string) =>
  (await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId } })).verified;

t.test('owner/attacker race: the attacker stays unverified, the owner verifies with a session', async (t) => {
  const { app: a, config } = await buildTestApp(t, { SMS_RESEND_COOLDOWN_SECONDS: '0' });
  const b = await secondInstance(t, config);
  const owner = await newUser(a);
  const attacker = await newUser(a);
  const phone = freshPhone();
  t.equal((await putPhone(a, owner.sessionId, owner.userId, { phone })).statusCode, 200);
  const ownerCode = await lastCode(a, phone);
  t.equal((await putPhone(b, attacker.sessionId, attacker.userId, { phone })).statusCode, 200);
  const attackerCode = await lastCode(a, phone);

  const anonymous = await verify(a, phone, attackerCode);
  t.equal(anonymous.statusCode, 400, 'the owner types the newest code they got, without a session');
  t.equal(body(anonymous).code, 'INVALID_CODE', 'the same answer as a wrong code');
  t.equal(body(await verify(b, phone, ownerCode)).code, 'INVALID_CODE', 'even the own code, while two wait');
  t.equal(body(await verifyAs(b, owner.sessionId, phone, attackerCode)).code, 'INVALID_CODE', "not the other's code");
  t.notOk(await verified(a, attacker.userId), 'the attacker is not verified');

  t.equal((await verifyAs(b, owner.sessionId, phone, ownerCode)).statusCode, 204, 'the owner, with a session');
  t.ok(await verified(a, owner.userId));
  const late = await verifyAs(a, attacker.sessionId, phone, attackerCode);
  t.equal(body(late).code, 'PHONE_IN_USE');
  t.notOk(await verified(a, attacker.userId), 'the attacker ends unverified');

  const bad = await verifyAs(a, 'f'.repeat(32), phone, ownerCode);
  t.equal(bad.statusCode, 401, 'a dead session is NOT_SIGNED, not silently anonymous');
});

t.test("with its session, an account's code for its phone verifies no other phone", async (t) => {
  const { app } = await buildTestApp(t);
  const [x, y] = [await newUser(app), await newUser(app)];
  const [a, b] = [freshPhone(), freshPhone()];
  await putPhone(app, x.sessionId, x.userId, { phone: a });
  await putPhone(app, y.sessionId, y.userId, { phone: b });
  const code = await lastCode(app, a);
  for (const phone of [b, freshPhone()]) {
    const res = await verifyAs(app, x.sessionId, phone, code);
    t.equal(res.statusCode, 400, phone === b ? 'a phone another account awaits' : 'a phone nobody awaits');
    t.equal(body(res).code, 'INVALID_CODE');
  }
  t.notOk(await verified(app, x.userId), 'nothing verified');
  t.notOk(await verified(app, y.userId));
  t.equal((await verifyAs(app, x.sessionId, a, code)).statusCode, 204, 'the code still verifies its own phone');
});

t.test('one account waiting on a phone still verifies without a session', async (t) => {
  const { app } = await buildTestApp(t);
  const user = await newUser(app);
  const phone = freshPhone();
  await putPhone(app, user.sessionId, user.userId, { phone });
  t.equal((await verify(app, phone, await lastCode(app, phone))).statusCode, 204);
});

t.test('over four successive codes at most CODE_MAX_FAILED_PER_PHONE_PER_DAY wrong codes are compared', async (t) => {
  const { app: a, config } = await buildTestApp(t, {
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    IP_RATE_LIMIT_PER_MINUTE: '100000',
  });
  const b = await secondInstance(t, config);
  const user = await newUser(a);
  const phone = freshPhone();
  const unknown = freshPhone();
  const answers: Record<'pending' | 'unknown', string[]> = { pending: [], unknown: [] };
  let compared = 0;
  for (let round = 0; round < 4; round++) {
    if (round === 0) await putPhone(a, user.sessionId, user.userId, { phone });
    else t.equal((await resend(a, phone)).statusCode, 204, `code ${round + 1} sent`);
    const code = await lastCode(a, phone);
    const wrong = Array.from({ length: 8 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'));
    const [pending, other] = await Promise.all([
      Promise.all(wrong.map((g, i) => verify(i % 2 ? b : a, phone, g))),
      Promise.all(wrong.map((g, i) => verify(i % 2 ? a : b, unknown, g))),
    ]);
    answers.pending.push(...pending.map((r) => `${r.statusCode} ${body(r).code}`));
    answers.unknown.push(...other.map((r) => `${r.statusCode} ${body(r).code}`));
    const row = await a.prisma.smsSettings.findUniqueOrThrow({ where: { userId: user.userId } });
    compared += row.codeAttempts;
  }
  const max = config.CODE_MAX_FAILED_PER_PHONE_PER_DAY;
  t.ok(compared <= max, `${compared} wrong codes compared over four codes (at most ${max})`);
  for (const [kind, list] of Object.entries(answers)) {
    t.equal(list.filter((a) => a === '400 INVALID_CODE').length, max, `${kind}: ${max} answered INVALID_CODE`);
    t.equal(list.filter((a) => a === '429 TOO_MANY_ATTEMPTS').length, 32 - max, `${kind}: then TOO_MANY_ATTEMPTS`);
  }
  const right = await verify(a, phone, await lastCode(a, phone));
  t.equal(right.statusCode, 429, 'the right code too, until the window passes');
  t.ok(Number(right.headers['retry-after']) > 3600, 'Retry-After names the rest of the day');
  t.notOk(await verified(a, user.userId));
});

t.test('failed sign-ins are limited per login across addresses, /signin and /admin/login together', async (t) => {
  const { app: a, config } = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: '100000' });
  const b = await secondInstance(t, config);
  const user = await newUser(a, { password: 'the right password' });
  const attempt = (i: number, password: string) =>
    i % 2
      ? (i % 4 === 1 ? a : b).inject({
          method: 'POST',
          url: '/api/v1/signin',
          remoteAddress: `203.0.113.${i % 3}`,
          payload: { login: user.login, password },
        })
      : (i % 4 === 0 ? b : a).inject({
          method: 'POST',
          url: '/admin/login',
          remoteAddress: `203.0.113.${i % 3}`,
          payload: new URLSearchParams({ login: user.login, password }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => attempt(i, `wrong guess ${i}`)));
  const max = config.SIGNIN_MAX_FAILED_PER_LOGIN;
  t.equal(answers.filter((r) => r.statusCode === 401).length, max, `${max} passwords tried`);
  const limited = answers.filter((r) => r.statusCode === 429);
  t.equal(limited.length, 30 - max, 'the rest refused before the password is checked');
  t.ok(
    limited.every((r) => Number(r.headers['retry-after']) > 0),
    'with Retry-After',
  );
  t.equal((await attempt(1, 'the right password')).statusCode, 429, 'the right password waits too');

  const unknown = await Promise.all(
    Array.from({ length: max + 1 }, () =>
      a.inject({ method: 'POST', url: '/api/v1/signin', payload: { login: 'nobody-here', password: 'x'.repeat(8) } }),
    ),
  );
  t.same(unknown.map((r) => r.statusCode).sort(), [...Array(max).fill(401), 429], 'an unknown login is counted alike');
});

t.test('common passwords are refused at signup with WEAK_PASSWORD', async (t) => {
  const { app } = await buildTestApp(t);
  for (const password of ['password', '12345678', 'Password1', 'qwertyuiop']) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      payload: { login: `weak${password.length}${password.charCodeAt(0)}`, name: 'x', password },
    });
    t.equal(res.statusCode, 400, password);
    t.match(body(res), { code: 'WEAK_PASSWORD', details: { field: 'password' } });
  }
  t.equal(await app.prisma.account.count(), 0, 'no account created');
});

t.test('{service} in SMS_TEMPLATE names the service', async (t) => {
  const { app } = await buildTestApp(t, { SMS_TEMPLATE: '{service}: your code is {code}', SERVICE_NAME: 'Acme' });
  const user = await newUser(app);
  const phone = freshPhone();
  await putPhone(app, user.sessionId, user.userId, { phone });
  const message = await app.prisma.smsMessage.findFirstOrThrow({ where: { recipient: phone } });
  t.match(message.body, /^Acme: your code is \d{6}$/);
});
