// Abuse: brute force, SMS pumping and enumeration, also spread over two API
// instances (two apps on one database and Redis, each with its own
// connections, as two processes would be); dead sessions; and every way the
// API takes an id (path, body, query) tried against another user's settings.
import { createHash, createHmac, scryptSync } from 'node:crypto';
import type { Config } from '@sms/config';
import type { Teardown } from '@sms/testing';
import type { FastifyInstance, InjectOptions } from 'fastify';
import t from 'tap';
import { buildApp } from '../src/app';
import { body, buildTestApp, makeAdmin, newUser } from './helpers';
import { freshPhone, getSettings, lastCode, putPhone, resend, verify } from './sms-helpers';

/** A second API instance on the first one's database, Redis and prefix. */
async function secondInstance(t: Teardown, config: Config): Promise<FastifyInstance> {
  const app = await buildApp(config, { logger: false });
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

const withoutId = (b: Record<string, unknown>) => ({ ...b, correlation_id: undefined });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed<T>(send: () => Promise<T>) {
  const started = process.hrtime.bigint();
  const res = await send();
  return { res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

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

t.test('unknown, pending and verified phones: same status and body, close in time', async (t) => {
  const { app } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '100000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '100000',
    // Per-address, per-phone and per-login budgets would answer 429 for the one
    // pending phone and known login long before the fresh unknown ones; this
    // test compares the answers below those budgets.
    SMS_MAX_PER_IP_PER_HOUR: '100000',
    CODE_MAX_FAILED_PER_PHONE_PER_DAY: '100000',
    SIGNIN_MAX_FAILED_PER_LOGIN: '100000',
  });
  const pendingUser = await newUser(app);
  const verifiedUser = await newUser(app);
  const pending = freshPhone();
  const verified = freshPhone();
  await putPhone(app, pendingUser.sessionId, pendingUser.userId, { phone: pending });
  await putPhone(app, verifiedUser.sessionId, verifiedUser.userId, { phone: verified });
  t.equal((await verify(app, verified, await lastCode(app, verified))).statusCode, 204);

  const ROUNDS = 60;
  const kinds = { unknown: [] as number[], pending: [] as number[], verified: [] as number[] };
  const answers = new Set<string>();
  for (let i = 0; i < 5; i++) await resend(app, freshPhone()); // warm-up
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, so drift in the machine's load hits all three alike.
    for (const kind of ['unknown', 'pending', 'verified'] as const) {
      const phone = kind === 'unknown' ? freshPhone() : kind === 'pending' ? pending : verified;
      const { res, ms } = await timed(() => resend(app, phone));
      kinds[kind].push(ms);
      answers.add(`${res.statusCode} ${res.body}`);
    }
  }
  t.same([...answers], ['204 '], 'resend: every answer 204 with an empty body');
  const m = { unknown: median(kinds.unknown), pending: median(kinds.pending), verified: median(kinds.verified) };
  t.comment(
    `resend median over ${ROUNDS}: unknown ${m.unknown.toFixed(2)} ms, pending ${m.pending.toFixed(2)} ms, ` +
      `verified ${m.verified.toFixed(2)} ms`,
  );
  // A pending phone's new code is stored and sent after the 204 (it once was
  // before it, and made pending phones several times slower to answer).
  t.ok(m.pending < m.unknown * 1.5 + 1, `resend: pending within 1.5× + 1 ms of unknown`);
  await app.verification.settled();

  // verify: a wrong code for a pending phone vs any code for an unknown phone.
  const vTimes = { unknown: [] as number[], pending: [] as number[] };
  const vAnswers = new Set<string>();
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 4 === 0) await resend(app, pending); // a fresh code before the attempt limit
    for (const kind of ['unknown', 'pending'] as const) {
      const phone = kind === 'unknown' ? freshPhone() : pending;
      const { res, ms } = await timed(() => verify(app, phone, '000000'));
      vTimes[kind].push(ms);
      vAnswers.add(`${res.statusCode} ${JSON.stringify(withoutId(body(res)))}`);
    }
  }
  t.equal(vAnswers.size, 1, `verify: one answer for both (${[...vAnswers].join(' | ')})`);
  const vm = { unknown: median(vTimes.unknown), pending: median(vTimes.pending) };
  t.comment(`verify median over ${ROUNDS}: unknown ${vm.unknown.toFixed(2)} ms, pending ${vm.pending.toFixed(2)} ms`);
  t.ok(vm.pending < vm.unknown * 1.5 + 1, 'verify: pending within 1.5× + 1 ms of unknown');

  // signin: unknown login vs a known login with a wrong password (scrypt either way).
  const sTimes = { unknown: [] as number[], known: [] as number[] };
  const sAnswers = new Set<string>();
  const account = await app.prisma.account.findUniqueOrThrow({ where: { id: pendingUser.userId } });
  for (let i = 0; i < 15; i++) {
    for (const kind of ['unknown', 'known'] as const) {
      const login = kind === 'unknown' ? `nobody${i}x${process.pid}` : account.login;
      const { res, ms } = await timed(() =>
        app.inject({ method: 'POST', url: '/api/v1/signin', payload: { login, password: 'wrong password!' } }),
      );
      sTimes[kind].push(ms);
      sAnswers.add(`${res.statusCode} ${JSON.stringify(withoutId(body(res)))}`);
    }
  }
  t.equal(sAnswers.size, 1, 'signin: one answer for both');
  const sm = { unknown: median(sTimes.unknown), known: median(sTimes.known) };
  t.comment(`signin median over 15: unknown ${sm.unknown.toFixed(2)} ms, known ${sm.known.toFixed(2)} ms`);
  t.ok(Math.abs(sm.known - sm.unknown) < Math.max(10, sm.known * 0.25), 'signin: within 25 % (scrypt both ways)');
});

t.test('a session is dead everywhere after signout and after expiry', async (t) => {
  const { app } = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: '100000' });
  const admin = await newUser(app);
  await makeAdmin(app, admin.userId);
  const expiring = await newUser(app);
  await makeAdmin(app, expiring.userId);

  const uses = (sessionId: string, userId: string): InjectOptions[] => {
    const headers = { 'x-session-id': sessionId };
    return [
      { method: 'GET', url: '/api/v1/accounts/current', headers },
      { method: 'GET', url: '/api/v1/accounts', headers },
      { method: 'GET', url: `/api/v1/sms_settings/${userId}`, headers },
      { method: 'PUT', url: `/api/v1/sms_settings/${userId}`, headers, payload: { phone: freshPhone() } },
      { method: 'GET', url: '/admin/queues/api/queues', headers },
      { method: 'GET', url: '/admin/queues/api/queues', headers: { cookie: `sms_admin_session=${sessionId}` } },
      { method: 'POST', url: '/api/v1/signout', headers },
    ];
  };
  for (const use of uses(admin.sessionId, admin.userId)) {
    t.ok((await app.inject(use)).statusCode < 300, `alive: ${use.method} ${use.url}`);
  }
  const fresh = await newUser(app, { login: `again${process.pid}` });
  await makeAdmin(app, fresh.userId);
  t.equal(
    (await app.inject({ method: 'POST', url: '/api/v1/signout', headers: { 'x-session-id': fresh.sessionId } }))
      .statusCode,
    204,
  );

  await app.prisma.session.updateMany({
    where: { userId: expiring.userId },
    data: { expireTime: new Date(Date.now() - 1000) },
  });
  const messages = await app.prisma.smsMessage.count();
  for (const [why, user] of [
    ['after signout', fresh],
    ['after expiry', expiring],
  ] as const) {
    for (const use of uses(user.sessionId, user.userId)) {
      const res = await app.inject(use);
      t.equal(res.statusCode, 401, `${why}: ${use.method} ${use.url} → 401`);
      t.equal(body(res).code, 'NOT_SIGNED');
    }
  }
  t.equal(await app.prisma.smsMessage.count(), messages, 'dead sessions sent no SMS');
  t.equal(await app.prisma.smsSettings.count({ where: { userId: { in: [fresh.userId, expiring.userId] } } }), 0);
});

t.test("no way to read or change another user's settings", async (t) => {
  const { app } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '100000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '1000',
  });
  const victim = await newUser(app);
  const attacker = await newUser(app);
  const victimPhone = freshPhone();
  await putPhone(app, victim.sessionId, victim.userId, { phone: victimPhone });
  const attackerPhone = freshPhone();
  await putPhone(app, attacker.sessionId, attacker.userId, { phone: attackerPhone });
  const victimRow = () => app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: victim.userId } });
  const before = await victimRow();
  const headers = { 'x-session-id': attacker.sessionId };
  const v = victim.userId;
  const mine = attacker.userId;

  // Paths naming the victim in every spelling the router might take.
  const paths = [
    v,
    v.toUpperCase(),
    `${v}/`,
    `${v}%20`,
    encodeURIComponent(v),
    `${v}?user_id=${mine}`,
    `./${v}`,
    `${mine}/../${v}`,
  ];
  for (const p of paths) {
    for (const method of ['GET', 'PUT'] as const) {
      const res = await app.inject({
        method,
        url: `/api/v1/sms_settings/${p}`,
        headers,
        ...(method === 'PUT' ? { payload: { phone: attackerPhone } } : {}),
      });
      t.ok(res.statusCode >= 400 && res.statusCode < 500, `${method} …/${p}: ${res.statusCode}`);
      t.notMatch(res.body, victimPhone.slice(1), `${method} …/${p}: the victim's phone is not in the answer`);
    }
  }

  // The caller's own path, the victim named in the body or the query.
  const own = await putPhone(app, attacker.sessionId, mine, { phone: attackerPhone, id: v });
  t.equal(own.statusCode, 400, 'PUT own path with the victim id in the body: 400');
  const theirs = await putPhone(app, attacker.sessionId, v, { phone: attackerPhone, id: mine });
  t.ok(
    [400, 403].includes(theirs.statusCode),
    `PUT the victim's path, the caller's id in the body: ${theirs.statusCode}`,
  );
  for (const query of [`user_id=${v}`, `id=${v}`, `user_id=${v}&user_id=${v}`, `__proto__[user_id]=${v}`]) {
    const get = await app.inject({ method: 'GET', url: `/api/v1/sms_settings/${mine}?${query}`, headers });
    t.ok(get.statusCode === 200 || get.statusCode === 400, `GET own path ?${query}: ${get.statusCode}`);
    if (get.statusCode === 200)
      t.same(body(get), { phone: attackerPhone, verified: false, id: mine, language: null }, 'own data only');
    const put = await app.inject({
      method: 'PUT',
      url: `/api/v1/sms_settings/${mine}?${query}`,
      headers,
      payload: { phone: attackerPhone },
    });
    t.ok(put.statusCode === 200 || put.statusCode === 400, `PUT own path ?${query}: ${put.statusCode}`);
    if (put.statusCode === 200) t.equal(body(put).id, mine, 'own row only');
  }
  const sneaky = await app.inject({
    method: 'PUT',
    url: `/api/v1/sms_settings/${mine}`,
    headers: { ...headers, 'content-type': 'application/json' },
    payload: `{"phone":"${attackerPhone}","user_id":"${v}"}`,
  });
  t.equal(sneaky.statusCode, 400, 'user_id in the body: 400 (unknown field)');
  const verified = await putPhone(app, attacker.sessionId, mine, { phone: victimPhone, verified: true });
  t.equal(verified.statusCode, 403, "a non-admin cannot mark a phone verified (the victim's least of all)");

  t.same(await victimRow(), before, "the victim's row is unchanged");
  // Verify takes no user id: a wrong guess at the victim's phone cannot attach
  // it to anyone; it does count against the victim's current code (that is the
  // attempt limit), and a resend gives the victim a fresh one.
  t.equal((await verify(app, victimPhone, '000000')).statusCode, 400);
  const { codeAttempts, updateTime: _u, ...rest } = await victimRow();
  const { codeAttempts: before0, updateTime: _b, ...restBefore } = before;
  t.same(rest, restBefore, 'a wrong guess changes nothing but the attempt counter');
  t.equal(codeAttempts, before0 + 1);
  t.same(
    body(await getSettings(app, victim.sessionId, v)),
    { phone: victimPhone, verified: false, id: v, language: null },
    'and reads as before',
  );
  t.equal(await app.prisma.smsMessage.count({ where: { userId: v } }), 1, 'no SMS was sent for the victim');
});

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
