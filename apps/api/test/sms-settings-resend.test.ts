// POST /api/v1/sms_settings/resend and the limits on sending: pending,
// verified and unknown phones answered alike, the per-phone cooldown and
// hourly cap, the per-IP limit, and the allowed countries.
import t from 'tap';
import { body, buildTestApp, newUser } from './helpers';
import { freshPhone, lastCode, putPhone, resend, roomy, verify } from './sms-helpers';

t.test('resend answers alike for pending, verified and unknown phones', async (t) => {
  const { app } = await buildTestApp(t, roomy);
  const pending = await newUser(app);
  const verified = await newUser(app);
  const [pendingPhone, verifiedPhone, unknownPhone] = [freshPhone(), freshPhone(), freshPhone()];
  await putPhone(app, pending.sessionId, pending.userId, { phone: pendingPhone });
  await putPhone(app, verified.sessionId, verified.userId, { phone: verifiedPhone });
  t.equal((await verify(app, verifiedPhone, await lastCode(app, verifiedPhone))).statusCode, 204);

  const oldCode = await lastCode(app, pendingPhone);
  const counts = async () => ({
    pending: await app.prisma.smsMessage.count({ where: { recipient: pendingPhone } }),
    verified: await app.prisma.smsMessage.count({ where: { recipient: verifiedPhone } }),
    unknown: await app.prisma.smsMessage.count({ where: { recipient: unknownPhone } }),
  });
  const before = await counts();
  const answers = await Promise.all([pendingPhone, verifiedPhone, unknownPhone].map((p) => resend(app, p)));
  for (const res of answers) {
    t.equal(res.statusCode, 204);
    t.equal(res.body, '');
  }
  await app.verification.settled();
  t.same(
    await counts(),
    { pending: before.pending + 1, verified: before.verified, unknown: 0 },
    'only the pending phone gets an SMS',
  );

  const newCode = await lastCode(app, pendingPhone);
  if (newCode !== oldCode) t.equal((await verify(app, pendingPhone, oldCode)).statusCode, 400, 'the old code is dead');
  t.equal((await verify(app, pendingPhone, newCode)).statusCode, 204, 'the new one works');
  t.equal(
    (await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: verified.userId } })).verified,
    true,
    'resend never un-verifies',
  );
});

t.test('resend goes to the account that set the phone last', async (t) => {
  const { app } = await buildTestApp(t, roomy);
  const first = await newUser(app);
  const second = await newUser(app);
  const phone = freshPhone();
  await putPhone(app, first.sessionId, first.userId, { phone });
  await putPhone(app, second.sessionId, second.userId, { phone });
  t.equal((await resend(app, phone)).statusCode, 204);
  await app.verification.settled();
  const last = await app.prisma.smsMessage.findFirstOrThrow({
    where: { recipient: phone },
    orderBy: { createTime: 'desc' },
  });
  t.equal(last.userId, second.userId);
});

t.test('send limits per phone: cooldown and hourly cap, with Retry-After', async (t) => {
  const { app } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '100000',
    SMS_RESEND_COOLDOWN_SECONDS: '60',
    SMS_MAX_PER_PHONE_PER_HOUR: '3',
  });
  const user = await newUser(app);
  const phone = freshPhone();
  t.equal((await putPhone(app, user.sessionId, user.userId, { phone })).statusCode, 200);
  const limited = await resend(app, phone);
  t.equal(limited.statusCode, 429);
  t.equal(body(limited).code, 'TOO_MANY_REQUESTS');
  const retryAfter = Number(limited.headers['retry-after']);
  t.ok(retryAfter > 55 && retryAfter <= 60, `Retry-After ${retryAfter} s ≈ the cooldown`);
  t.equal(await app.prisma.smsMessage.count({ where: { recipient: phone } }), 1, 'no second SMS');

  const unknown = freshPhone();
  t.equal((await resend(app, unknown)).statusCode, 204);
  t.equal((await resend(app, unknown)).statusCode, 429, 'unknown phones are limited alike');

  const capped = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '100000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '3',
  });
  const other = await newUser(capped.app);
  const phone2 = freshPhone();
  await putPhone(capped.app, other.sessionId, other.userId, { phone: phone2 });
  t.equal((await resend(capped.app, phone2)).statusCode, 204);
  t.equal((await resend(capped.app, phone2)).statusCode, 204);
  const cap = await resend(capped.app, phone2);
  t.equal(cap.statusCode, 429, 'fourth SMS in the hour');
  t.ok(Number(cap.headers['retry-after']) > 3500, 'Retry-After ≈ the rest of the hour');
  await capped.app.verification.settled();
  t.equal(await capped.app.prisma.smsMessage.count({ where: { recipient: phone2 } }), 3);
});

t.test('per-IP limit on the unauthenticated endpoints', async (t) => {
  const { app } = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: '3', SMS_RESEND_COOLDOWN_SECONDS: '0' });
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await resend(app, freshPhone()));
  t.same(
    answers.map((r) => r.statusCode),
    [204, 204, 204, 429],
  );
  t.equal(body(answers[3]!).code, 'TOO_MANY_REQUESTS');
  t.ok(Number(answers[3]!.headers['retry-after']) > 0);
  const signin = [];
  for (let i = 0; i < 4; i++) {
    signin.push(
      (await app.inject({ method: 'POST', url: '/api/v1/signin', payload: { login: 'nobody', password: 'whatever1' } }))
        .statusCode,
    );
  }
  t.same(signin, [401, 401, 401, 429], 'signin has its own budget');
});

t.test('allowed countries', async (t) => {
  const { app } = await buildTestApp(t, { ...roomy, SMS_ALLOWED_COUNTRIES: 'UA,PL' });
  const user = await newUser(app);
  const res = await putPhone(app, user.sessionId, user.userId, { phone: '+7 912 345 67 89' });
  t.equal(res.statusCode, 400);
  t.equal(body(res).code, 'COUNTRY_NOT_ALLOWED');
  t.equal((await resend(app, '+79123456789')).statusCode, 400);
  t.equal((await putPhone(app, user.sessionId, user.userId, { phone: '+48 512 345 678' })).statusCode, 200);
});
