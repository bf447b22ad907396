import { createHash } from 'node:crypto';
import t from 'tap';
import { body, buildTestApp, errorBody, newUser, signin } from './helpers';

t.test('accounts and sessions', async (t) => {
  const { app, config } = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: '1000' });

  t.test('signup returns the account, never the password', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      payload: { login: 'Alice.Smith', name: 'Alice', password: 'alice password', email: 'alice@example.com' },
    });
    t.equal(res.statusCode, 201);
    const account = body(res);
    t.match(account, { login: 'alice.smith', name: 'Alice', email: 'alice@example.com', admin: false });
    t.match(account.id, /^[0-9a-f]{32}$/);
    t.notMatch(res.body, /alice password/);

    const row = await app.prisma.account.findUniqueOrThrow({ where: { id: account.id as string } });
    t.notMatch(row.passwordHash, /alice password/, 'password not stored in clear');
    t.match(row.passwordHash, /^scrypt\$/, 'stored as a salted scrypt hash');
  });

  t.test('logins are unique, case-insensitively: 409 LOGIN_ALREADY_USED', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      payload: { login: 'ALICE.SMITH', name: 'Other', password: 'other password' },
    });
    t.equal(res.statusCode, 409);
    t.same(body(res), errorBody(res, 'LOGIN_ALREADY_USED', 409, 'this login is taken'));
  });

  t.test('signup validates login and password', async (t) => {
    for (const payload of [
      { login: 'ab', name: 'x', password: 'long enough' },
      { login: 'bad login', name: 'x', password: 'long enough' },
      { login: 'fine', name: 'x', password: 'short' },
      { login: 'fine', name: 'x', password: 'x'.repeat(129) },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/signup', payload });
      t.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 60));
      t.equal(body(res).code, 'INVALID_REQUEST');
    }
  });

  t.test('signin gives a session; the database keeps only its hash', async (t) => {
    const session = await signin(app, 'alice.smith', 'alice password');
    t.match(session.id, /^[0-9a-f]{32}$/);
    const rows = await app.prisma.session.findMany({ where: { userId: session.user_id } });
    t.equal(rows.length, 1);
    t.not(rows[0]?.idHash, session.id, 'the id itself is not stored');
    t.equal(rows[0]?.idHash, createHash('sha256').update(session.id).digest('hex'));
  });

  t.test('wrong password and unknown login get the same 401', async (t) => {
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/signin',
      payload: { login: 'alice.smith', password: 'not the password' },
    });
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/v1/signin',
      payload: { login: 'nobody-here', password: 'not the password' },
    });
    t.equal(wrong.statusCode, 401);
    t.equal(unknown.statusCode, 401);
    const { correlation_id: _a, ...a } = body(wrong);
    const { correlation_id: _b, ...b } = body(unknown);
    t.same(a, b, 'identical bodies');
    t.equal(a.code, 'WRONG_CREDENTIALS');
  });

  t.test('current account, then signout kills the session', async (t) => {
    const { sessionId, userId } = await newUser(app);
    const headers = { 'x-session-id': sessionId };
    const current = await app.inject({ method: 'GET', url: '/api/v1/accounts/current', headers });
    t.equal(current.statusCode, 200);
    t.equal(body(current).id, userId);

    const out = await app.inject({ method: 'POST', url: '/api/v1/signout', headers });
    t.equal(out.statusCode, 204);
    const after = await app.inject({ method: 'GET', url: '/api/v1/accounts/current', headers });
    t.equal(after.statusCode, 401);
    t.equal(body(after).code, 'NOT_SIGNED');
  });

  t.test('missing, malformed and unknown session ids get 401 NOT_SIGNED', async (t) => {
    for (const headers of [{}, { 'x-session-id': 'garbage' }, { 'x-session-id': '0'.repeat(32) }]) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/accounts/current', headers });
      t.equal(res.statusCode, 401);
      t.equal(body(res).code, 'NOT_SIGNED');
    }
  });

  t.test('an expired session gets 401; an active one slides forward', async (t) => {
    const { sessionId, userId } = await newUser(app);
    const headers = { 'x-session-id': sessionId };
    const idHash = createHash('sha256').update(sessionId).digest('hex');

    // Used after 10 minutes of the day's TTL: the expiry moves forward.
    const older = new Date(Date.now() + (config.SESSION_TTL_SECONDS - 600) * 1000);
    await app.prisma.session.update({ where: { idHash }, data: { expireTime: older } });
    t.equal((await app.inject({ method: 'GET', url: '/api/v1/accounts/current', headers })).statusCode, 200);
    const slid = await app.prisma.session.findUniqueOrThrow({ where: { idHash } });
    t.ok(slid.expireTime.getTime() > older.getTime() + 500_000, 'expiry extended on use');

    await app.prisma.session.update({ where: { idHash }, data: { expireTime: new Date(Date.now() - 1000) } });
    const res = await app.inject({ method: 'GET', url: '/api/v1/accounts/current', headers });
    t.equal(res.statusCode, 401);
    t.equal(body(res).code, 'NOT_SIGNED');
    t.ok(await app.prisma.account.findUnique({ where: { id: userId } }), 'the account is untouched');
  });

  t.test('the account list is for admins only', async (t) => {
    const user = await newUser(app);
    const denied = await app.inject({
      method: 'GET',
      url: '/api/v1/accounts',
      headers: { 'x-session-id': user.sessionId },
    });
    t.equal(denied.statusCode, 403);
    t.equal(body(denied).code, 'FORBIDDEN');
    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/accounts' });
    t.equal(anonymous.statusCode, 401);

    await app.prisma.account.update({ where: { id: user.userId }, data: { admin: true } });
    const list = await app.inject({
      method: 'GET',
      url: '/api/v1/accounts?skip=0&take=2',
      headers: { 'x-session-id': user.sessionId },
    });
    t.equal(list.statusCode, 200);
    const page = body<{ data: { id: string; password_hash?: string }[]; total: number }>(list);
    t.equal(page.data.length, 2);
    t.equal(page.total, await app.prisma.account.count());
    t.notOk(JSON.stringify(page).includes('scrypt'), 'no password hashes in the list');

    const bad = await app.inject({
      method: 'GET',
      url: '/api/v1/accounts?take=0',
      headers: { 'x-session-id': user.sessionId },
    });
    t.equal(bad.statusCode, 400);
  });
});

t.test('bootstrap admin: created when missing, never overwritten', async (t) => {
  const { app } = await buildTestApp(t);
  t.equal(await app.accounts.ensureAdmin('root', 'first password'), 'created');
  const admin = await signin(app, 'root', 'first password');
  t.equal(admin.admin, true);

  t.equal(await app.accounts.ensureAdmin('root', 'second password'), 'exists');
  await t.resolves(signin(app, 'root', 'first password'), 'the original password still works');
  await t.rejects(signin(app, 'root', 'second password'), 'the new one was not applied');
  t.equal(await app.prisma.account.count({ where: { login: 'root' } }), 1);
});
