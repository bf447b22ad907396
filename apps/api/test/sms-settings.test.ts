import t from 'tap';
import { body, buildTestApp, makeAdmin, newUser } from './helpers';
import { freshPhone, getSettings, lastCode, putPhone, resend, roomy, verify, verifyAs } from './sms-helpers';

t.test('the seed examples, end to end through the API', async (t) => {
  const { app } = await buildTestApp(t, roomy);
  const { userId, sessionId } = await newUser(app);

  const put = await putPhone(app, sessionId, userId, { phone: '+380508308443' });
  t.equal(put.statusCode, 200);
  const settings = body(put);
  t.same(Object.keys(settings).sort(), ['id', 'phone', 'ver_code', 'ver_expire_time', 'verified']);
  t.match(settings, { phone: '+380508308443', ver_code: null, verified: false, id: userId });
  const expires = Date.parse(settings.ver_expire_time as string);
  t.ok(Math.abs(expires - (Date.now() + 600_000)) < 10_000, 'ver_expire_time is the code expiry (10 min)');

  const get = await getSettings(app, sessionId, userId);
  t.equal(get.statusCode, 200);
  t.same(body(get), { phone: '+380508308443', verified: false, id: userId, language: null });

  t.equal((await resend(app, '+380508308443')).statusCode, 204);
  const code = await lastCode(app, '+380508308443');
  const ok = await verify(app, '+380508308443', code);
  t.equal(ok.statusCode, 204);
  t.equal(ok.body, '');
  t.same(body(await getSettings(app, sessionId, userId)), {
    phone: '+380508308443',
    verified: true,
    id: userId,
    language: null,
  });
});

t.test('PUT', async (t) => {
  const { app, config } = await buildTestApp(t, roomy);
  const { userId, sessionId } = await newUser(app);

  t.test('a new phone: code hashed, SMS row queued and job enqueued with the id only', async (t) => {
    const res = await putPhone(app, sessionId, userId, { phone: '+380 (50) 830-84-43' });
    t.equal(res.statusCode, 200);
    t.equal(body(res).phone, '+380508308443', 'stored and returned as E.164');

    const row = await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId } });
    const message = await app.prisma.smsMessage.findFirstOrThrow({
      where: { userId },
      orderBy: { createTime: 'desc' },
    });
    const code = /(\d{6})/.exec(message.body)?.[1] ?? '';
    t.match(message, { recipient: '+380508308443', status: 'queued', attempts: 0 });
    t.equal(message.body, `Your verification code is ${code}`);
    t.match(row.codeHash, /^[0-9a-f]{64}$/);
    t.not(row.codeHash, code, 'code not stored in clear');
    t.equal(row.codeAttempts, 0);

    const job = await app.smsQueue.getJob(`sms-${message.id}`);
    t.ok(job, 'job sms-<messageId> is queued');
    t.same(job?.data, { messageId: message.id }, 'job data holds the id only');
    t.equal(job?.name, 'send');
  });

  t.test('the same phone again: nothing sent, nothing changed', async (t) => {
    const before = await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId } });
    const messages = await app.prisma.smsMessage.count({ where: { userId } });
    const res = await putPhone(app, sessionId, userId, { phone: '+380508308443', id: userId });
    t.equal(res.statusCode, 200);
    t.equal(body(res).ver_expire_time, before.codeExpireTime?.toISOString());
    t.same(await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId } }), before);
    t.equal(await app.prisma.smsMessage.count({ where: { userId } }), messages);
  });

  t.test('a changed phone: a new code, the old one dead', async (t) => {
    const oldCode = await lastCode(app, '+380508308443');
    const res = await putPhone(app, sessionId, userId, { phone: '+7 912 345 67 89' });
    t.equal(res.statusCode, 200);
    t.equal(body(res).phone, '+79123456789');
    t.equal((await verify(app, '+380508308443', oldCode)).statusCode, 400, 'old phone/code no longer verifies');
    const code = await lastCode(app, '+79123456789');
    t.equal((await verify(app, '+79123456789', code)).statusCode, 204);
  });

  t.test('ver_code is null unless EXPOSE_VERIFICATION_CODE=true', async (t) => {
    t.equal(config.EXPOSE_VERIFICATION_CODE, false);
    const exposed = await buildTestApp(t, { ...roomy, EXPOSE_VERIFICATION_CODE: 'true' });
    const user = await newUser(exposed.app);
    const res = await putPhone(exposed.app, user.sessionId, user.userId, { phone: '+380508308444' });
    t.match(body(res).ver_code, /^\d{6}$/);
    t.equal(body(res).ver_code, await lastCode(exposed.app, '+380508308444'));
  });

  t.test('bad phones', async (t) => {
    for (const phone of ['380508308443', '+1 555', '+999 123 456 789', 'call me', '+38O5O83O8443', '']) {
      const res = await putPhone(app, sessionId, userId, { phone });
      t.equal(res.statusCode, 400, phone);
      t.match(body(res).code, /^(WRONG_PHONE|INVALID_REQUEST)$/, phone);
    }
    t.equal(body(await putPhone(app, sessionId, userId, { phone: '+1 555' })).code, 'WRONG_PHONE');
  });

  t.test('id in the body must match the path', async (t) => {
    const res = await putPhone(app, sessionId, userId, { phone: '+380508308445', id: 'f'.repeat(32) });
    t.equal(res.statusCode, 400);
    t.match(body(res), { code: 'INVALID_REQUEST', details: { field: 'id' } });
  });
});

t.test('who may do what', async (t) => {
  const { app } = await buildTestApp(t, roomy);
  const owner = await newUser(app);
  const stranger = await newUser(app);
  const admin = await newUser(app);
  await makeAdmin(app, admin.userId);

  t.equal((await putPhone(app, owner.sessionId, owner.userId, { phone: '+380508300001' })).statusCode, 200);

  for (const res of [
    await getSettings(app, stranger.sessionId, owner.userId),
    await putPhone(app, stranger.sessionId, owner.userId, { phone: '+380508300002' }),
  ]) {
    t.equal(res.statusCode, 403);
    t.equal(body(res).code, 'NOT_OWNER_OR_ADMIN');
  }
  t.equal((await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: owner.userId } })).phone, '+380508300001');

  const noSession = await app.inject({ method: 'GET', url: `/api/v1/sms_settings/${owner.userId}` });
  t.equal(noSession.statusCode, 401);
  t.equal(body(noSession).code, 'NOT_SIGNED');

  t.same(body(await getSettings(app, admin.sessionId, owner.userId)), {
    phone: '+380508300001',
    verified: false,
    id: owner.userId,
    language: null,
  });
  const missing = await getSettings(app, admin.sessionId, 'a'.repeat(32));
  t.equal(missing.statusCode, 404, 'admins learn that an account does not exist');
  t.equal(body(missing).code, 'NOT_FOUND');
  t.equal((await getSettings(app, stranger.sessionId, 'a'.repeat(32))).statusCode, 403, 'others do not');

  t.same(
    body(await getSettings(app, stranger.sessionId, stranger.userId)),
    { phone: null, verified: false, id: stranger.userId, language: null },
    'no settings yet',
  );

  const forbidden = await putPhone(app, owner.sessionId, owner.userId, { phone: '+380508300001', verified: true });
  t.equal(forbidden.statusCode, 403);
  t.equal(body(forbidden).code, 'FORBIDDEN');
  t.equal((await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: owner.userId } })).verified, false);

  const messages = await app.prisma.smsMessage.count();
  const byAdmin = await putPhone(app, admin.sessionId, owner.userId, { phone: '+380508300001', verified: true });
  t.equal(byAdmin.statusCode, 200);
  t.match(body(byAdmin), { verified: true, ver_code: null, ver_expire_time: null });
  t.equal(await app.prisma.smsMessage.count(), messages, 'no SMS when an admin marks verified');

  const taken = await putPhone(app, stranger.sessionId, stranger.userId, { phone: '+380508300001' });
  t.equal(taken.statusCode, 409);
  t.equal(body(taken).code, 'PHONE_IN_USE');
});

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

t.test('verify', async (t) => {
  const { app } = await buildTestApp(t, roomy);
  const user = await newUser(app);
  const phone = freshPhone();
  await putPhone(app, user.sessionId, user.userId, { phone });
  const code = await lastCode(app, phone);
  const wrong = code === '000000' ? '000001' : '000000';

  const invalid = async (p: string, c: string, why: string) => {
    const res = await verify(app, p, c);
    t.equal(res.statusCode, 400, why);
    t.equal(body(res).code, 'INVALID_CODE', why);
    t.notMatch(res.body, new RegExp(code), `${why}: the code is never echoed`);
    return res;
  };
  const wrongAnswer = await invalid(phone, wrong, 'wrong code');
  const unknownAnswer = await invalid(freshPhone(), code, 'unknown phone');
  const strip = (b: Record<string, unknown>) => ({ ...b, correlation_id: undefined });
  t.same(strip(body(wrongAnswer)), strip(body(unknownAnswer)), 'wrong code and unknown phone answer alike');

  t.equal((await verify(app, phone, code)).statusCode, 204, 'right code');
  const row = await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: user.userId } });
  t.match(row, { verified: true, verifiedPhone: phone, codeHash: null, codeExpireTime: null });
  await invalid(phone, code, 'reused code');

  const other = await newUser(app);
  const phone2 = freshPhone();
  await putPhone(app, other.sessionId, other.userId, { phone: phone2 });
  await app.prisma.smsSettings.update({
    where: { userId: other.userId },
    data: { codeExpireTime: new Date(Date.now() - 1000) },
  });
  await invalid(phone2, await lastCode(app, phone2), 'expired code');

  const bad = await verify(app, 'nonsense', '123456');
  t.equal(body(bad).code, 'WRONG_PHONE');
});

t.test('the attempt limit kills the code', async (t) => {
  const { app, config } = await buildTestApp(t, roomy);
  const user = await newUser(app);
  const phone = freshPhone();
  await putPhone(app, user.sessionId, user.userId, { phone });
  const code = await lastCode(app, phone);
  const wrong = code === '111111' ? '222222' : '111111';

  for (let i = 1; i <= config.CODE_MAX_ATTEMPTS; i++) {
    t.equal(body(await verify(app, phone, wrong)).code, 'INVALID_CODE', `failure ${i}`);
  }
  const dead = await verify(app, phone, code);
  t.equal(dead.statusCode, 400, 'the right code after the limit');
  t.equal(body(dead).code, 'INVALID_CODE', 'answered like a wrong code: unknown phones answer so too');
  t.equal((await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: user.userId } })).verified, false);

  t.equal((await resend(app, phone)).statusCode, 204, 'a new code can be requested');
  t.equal((await verify(app, phone, await lastCode(app, phone))).statusCode, 204, 'and works');
});

t.test('concurrent guesses cannot exceed the attempt limit', async (t) => {
  const { app, config } = await buildTestApp(t, roomy);
  const user = await newUser(app);
  const phone = freshPhone();
  await putPhone(app, user.sessionId, user.userId, { phone });
  const code = await lastCode(app, phone);
  const guesses = Array.from({ length: 40 }, (_, i) => String(i).padStart(6, '0')).filter((g) => g !== code);
  const answers = await Promise.all(guesses.map((g) => verify(app, phone, g)));
  const others = answers.map((r) => body(r).code).filter((code) => code !== 'INVALID_CODE');
  t.same(others, [], 'every guess: INVALID_CODE');
  const row = await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: user.userId } });
  t.equal(row.codeAttempts, config.CODE_MAX_ATTEMPTS, 'exactly CODE_MAX_ATTEMPTS guesses were compared');
});

t.test('two accounts racing to verify one phone: exactly one wins', async (t) => {
  const { app } = await buildTestApp(t, roomy);
  for (let round = 0; round < 5; round++) {
    const a = await newUser(app);
    const b = await newUser(app);
    const phone = freshPhone();
    await putPhone(app, a.sessionId, a.userId, { phone });
    const codeA = await lastCode(app, phone);
    await putPhone(app, b.sessionId, b.userId, { phone });
    const codeB = await lastCode(app, phone);
    if (codeA === codeB) continue; // one code for both: not a race between two codes
    // Each with its session: anonymous verifies are refused while two accounts wait on the phone.
    const [ra, rb] = await Promise.all([
      verifyAs(app, a.sessionId, phone, codeA),
      verifyAs(app, b.sessionId, phone, codeB),
    ]);
    t.same([ra.statusCode, rb.statusCode].sort(), [204, 409], `round ${round}: one 204, one 409`);
    t.equal(body(ra.statusCode === 409 ? ra : rb).code, 'PHONE_IN_USE');
    t.equal(await app.prisma.smsSettings.count({ where: { verifiedPhone: phone } }), 1, 'one verified holder');
  }
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

t.test('PUT while Redis is unreachable: 200, row queued, no job', async (t) => {
  const { app, config } = await buildTestApp(t, { ...roomy, REDIS_URL: 'redis://127.0.0.1:1' });
  const user = await newUser(app);
  const phone = freshPhone();
  const res = await putPhone(app, user.sessionId, user.userId, { phone });
  t.equal(res.statusCode, 200);
  const message = await app.prisma.smsMessage.findFirstOrThrow({ where: { recipient: phone } });
  t.equal(message.status, 'queued', 'kept for the outbox sweeper');

  // Look in the real Redis under this app's prefix: nothing was enqueued.
  const { Queue } = await import('bullmq');
  const { createProducerRedis, queuePrefix, SMS_QUEUE } = await import('@sms/jobs');
  const { baseConfig } = await import('@sms/testing');
  const redis = createProducerRedis(baseConfig(), { enableOfflineQueue: true });
  const queue = new Queue(SMS_QUEUE, { connection: redis, prefix: queuePrefix(config) });
  t.teardown(async () => {
    await queue.close();
    await redis.quit();
  });
  t.equal(await queue.getJob(`sms-${message.id}`), undefined);
  t.equal((await resend(app, phone)).statusCode, 204, 'resend also answers, limits from the database');
});
