// PUT and GET of /api/v1/sms_settings: the seed examples end to end, what a
// PUT stores, queues and answers, who may read or change whose settings, and
// a PUT while Redis is unreachable.
import t from 'tap';
import { body, buildTestApp, makeAdmin, newUser } from './helpers';
import { freshPhone, getSettings, lastCode, putPhone, resend, roomy, verify } from './sms-helpers';

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
