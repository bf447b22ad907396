// Access: dead sessions (after signout, after expiry) on every authenticated
// endpoint, and every way the API takes an id (path, body, query) tried
// against another user's settings.
import type { InjectOptions } from 'fastify';
import t from 'tap';
import { body, buildTestApp, makeAdmin, newUser } from './helpers';
import { freshPhone, getSettings, putPhone, verify } from './sms-helpers';

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
