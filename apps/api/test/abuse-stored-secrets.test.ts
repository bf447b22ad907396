// What an attacker with the database or Redis would find: scrypt for
// passwords, SHA-256 for session ids, HMAC for codes, no phone in Redis keys.
import { createHash, createHmac, scryptSync } from 'node:crypto';
import t from 'tap';
import { buildTestApp, newUser } from './helpers';
import { freshPhone, lastCode, putPhone } from './sms-helpers';

t.test(
  'what is stored: scrypt for passwords, SHA-256 for session ids, HMAC for codes; no phone in Redis',
  async (t) => {
    const { app, config } = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: '100000' });
    const password = 'correct horse battery';
    const user = await newUser(app, { password });
    const phone = freshPhone();
    await putPhone(app, user.sessionId, user.userId, { phone });
    const code = await lastCode(app, phone);

    const account = await app.prisma.account.findUniqueOrThrow({ where: { id: user.userId } });
    const [scheme, n, r, p, salt, hash] = account.passwordHash.split('$');
    t.same([scheme, n, r, p], ['scrypt', '16384', '8', '1'], 'password: scrypt N=2^14 r=8 p=1');
    t.equal(
      scryptSync(password, Buffer.from(salt!, 'base64'), 32, { N: 16384, r: 8, p: 1 }).toString('base64'),
      hash,
      'the stored hash is scrypt of the password with its salt',
    );
    const sessions = await app.prisma.session.findMany({ where: { userId: user.userId } });
    t.same(
      sessions.map((s) => s.idHash),
      [createHash('sha256').update(user.sessionId).digest('hex')],
      'session: only SHA-256 of the id',
    );
    const settings = await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: user.userId } });
    t.equal(settings.codeHash, createHmac('sha256', config.APP_SECRET).update(code).digest('hex'), 'code: HMAC-SHA256');
    const dump = JSON.stringify([account, sessions, settings]);
    t.notOk(dump.includes(password) || dump.includes(user.sessionId), 'neither the password nor the session id stored');

    const keys = await app.redis.keys(`${config.QUEUE_PREFIX}:*`);
    t.ok(
      keys.some((k) => k.includes(':limits:phone:{')),
      'per-phone limit keys exist',
    );
    t.notOk(
      keys.some((k) => k.includes(phone) || k.includes(phone.slice(1))),
      'no Redis key holds the phone',
    );
  },
);
