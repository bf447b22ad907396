// Abuse spread over two API instances (two apps on one database and Redis,
// each with its own connections, as two processes would be): brute force of
// verify, and SMS pumping against the per-phone and per-IP limits.
import t from 'tap';
import { body, buildTestApp, newUser, secondInstance } from './helpers';
import { freshPhone, lastCode, putPhone, resend, verify } from './sms-helpers';

t.test('brute force of verify, spread over two instances, stops at CODE_MAX_ATTEMPTS', async (t) => {
  const { app: a, config } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '100000',
    // The per-code limit alone (the per-phone one is tested in verify-abuse.test.ts).
    CODE_MAX_FAILED_PER_PHONE_PER_DAY: '100000',
  });
  const b = await secondInstance(t, config);
  const user = await newUser(a);
  const phone = freshPhone();
  await putPhone(a, user.sessionId, user.userId, { phone });
  const code = await lastCode(a, phone);
  const guesses = Array.from({ length: 200 }, (_, i) => String(i * 4999).padStart(6, '0')).filter((g) => g !== code);
  const answers = await Promise.all(guesses.map((g, i) => verify(i % 2 ? b : a, phone, g)));
  t.ok(
    answers.every((r) => body(r).code === 'INVALID_CODE'),
    'a dead code answers like a wrong one (a distinct answer would tell pending phones from unknown ones)',
  );
  const right = await verify(b, phone, code);
  t.equal(right.statusCode, 400, 'the right code is refused once the code is dead');
  t.equal(body(right).code, 'INVALID_CODE');
  const row = await a.prisma.smsSettings.findUniqueOrThrow({ where: { userId: user.userId } });
  t.equal(row.verified, false);
  t.equal(row.codeAttempts, config.CODE_MAX_ATTEMPTS, 'exactly the limit compared');
});

t.test('resend pumping over two instances stops at the per-phone limits', async (t) => {
  const { app: a, config } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '100000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '4',
  });
  const b = await secondInstance(t, config);
  const user = await newUser(a);
  const phone = freshPhone();
  await putPhone(a, user.sessionId, user.userId, { phone }); // the first SMS of the hour
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => resend(i % 2 ? b : a, phone)));
  const statuses = answers.map((r) => r.statusCode);
  t.equal(statuses.filter((s) => s === 204).length, 3, 'three more in the hour, whichever instance is asked');
  t.equal(statuses.filter((s) => s === 429).length, 37);
  for (const r of answers.filter((x) => x.statusCode === 429)) {
    t.equal(body(r).code, 'TOO_MANY_REQUESTS');
    t.ok(Number(r.headers['retry-after']) > 3000, 'Retry-After: the rest of the hour');
  }
  await Promise.all([a.verification.settled(), b.verification.settled()]);
  t.equal(await a.prisma.smsMessage.count({ where: { recipient: phone } }), 4, 'four SMS, no more');

  // The cooldown holds across instances too.
  const cooled = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: '100000', SMS_RESEND_COOLDOWN_SECONDS: '60' });
  const c2 = await secondInstance(t, cooled.config);
  const other = await newUser(cooled.app);
  const phone2 = freshPhone();
  await putPhone(cooled.app, other.sessionId, other.userId, { phone: phone2 });
  const again = await Promise.all([resend(c2, phone2), resend(cooled.app, phone2), resend(c2, phone2)]);
  t.same(
    again.map((r) => r.statusCode),
    [429, 429, 429],
    'within the cooldown: 429 from both instances',
  );
  await Promise.all([c2.verification.settled(), cooled.app.verification.settled()]);
  t.equal(await cooled.app.prisma.smsMessage.count({ where: { recipient: phone2 } }), 1);
});

t.test('resend pumping over two instances stops at the per-IP limit', async (t) => {
  const { app: a, config } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '10',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
  });
  const b = await secondInstance(t, config);
  // Different phones each time: only the IP limit can stop this.
  const answers = [];
  for (let i = 0; i < 30; i++) answers.push(await resend(i % 2 ? b : a, freshPhone()));
  const statuses = answers.map((r) => r.statusCode);
  t.same(statuses.slice(0, 10), Array(10).fill(204), 'ten requests a minute from one IP');
  t.same(statuses.slice(10), Array(20).fill(429), 'then 429 on both instances');
  t.equal(body(answers[29]!).code, 'TOO_MANY_REQUESTS');
  t.ok(Number(answers[29]!.headers['retry-after']) > 0, 'with Retry-After');
  // Another client IP is not affected.
  const elsewhere = await a.inject({
    method: 'POST',
    url: '/api/v1/sms_settings/resend',
    payload: { phone: freshPhone() },
    remoteAddress: '203.0.113.9',
  });
  t.equal(elsewhere.statusCode, 204, 'another IP still gets through');
});
