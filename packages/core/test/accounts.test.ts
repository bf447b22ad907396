// AccountsService against a real database and Redis: signing up and in,
// sessions and their sliding expiry, the bootstrap admin, the account list.
import { createHash } from 'node:crypto';
import t from 'tap';
import { AccountsService } from '../src/accounts';
import { createServices, deadRedis, errorOf, rejection } from './fixture';

const s = await createServices(t, { SESSION_TTL_SECONDS: '3600', SIGNIN_MAX_FAILED_PER_LOGIN: '3' });
const PASSWORD = 'correct horse battery staple';
let n = 0;
const login = () => `User${process.pid}x${++n}`;

const sessionRow = (id: string) =>
  s.db.prisma.session.findUniqueOrThrow({ where: { idHash: createHash('sha256').update(id).digest('hex') } });

t.test('signup: the login is stored lower-cased and taken once; common passwords are refused', async (t) => {
  const name = login();
  const before = Date.now();
  const view = await s.accounts.signup({ login: name, name: 'Ann', password: PASSWORD, email: 'ann@example.com' });
  t.match(view, {
    id: /^[0-9a-f]{32}$/,
    login: name.toLowerCase(),
    name: 'Ann',
    email: 'ann@example.com',
    admin: false,
  });
  t.same(Object.keys(view).sort(), ['admin', 'create_time', 'email', 'id', 'login', 'name'], 'no password hash');
  t.ok(Date.parse(view.create_time) >= before - 1000, 'created now');
  t.match(await s.accounts.signup({ login: login(), name: 'B', password: PASSWORD }), { email: null });
  t.same(await errorOf(s.accounts.signup({ login: name.toUpperCase(), name: 'C', password: PASSWORD })), {
    status: 409,
    code: 'LOGIN_ALREADY_USED',
  });
  t.same(await errorOf(s.accounts.signup({ login: login(), name: 'D', password: 'password123' })), {
    status: 400,
    code: 'WEAK_PASSWORD',
  });
  t.same(
    await errorOf(s.accounts.signup({ login: login(), name: 'D', password: 'PASSWORD123' })),
    { status: 400, code: 'WEAK_PASSWORD' },
    'whatever its case',
  );
  const row = await s.db.prisma.account.findUniqueOrThrow({ where: { id: view.id } });
  t.not(row.passwordHash, PASSWORD, 'the password is stored hashed');
});

t.test('signin: a session for the right password, whatever the case of the login', async (t) => {
  const name = login();
  const account = await s.accounts.signup({ login: name, name: 'Eve', password: PASSWORD });
  const before = Date.now();
  const session = await s.accounts.signin(name.toUpperCase(), PASSWORD);
  t.match(session, { id: /^[0-9a-f]{32}$/, user_id: account.id, user_name: 'Eve', admin: false });
  const expires = Date.parse(session.expire_time);
  t.ok(expires >= before + 3_599_000 && expires <= Date.now() + 3_600_000, 'SESSION_TTL_SECONDS from now');
  t.ok(Math.abs(Date.parse(session.open_time) - before) < 5000, 'opened now');
  t.same(await s.accounts.authenticate(session.id), { userId: account.id, admin: false });
  t.not((await s.accounts.signin(name, PASSWORD)).id, session.id, 'each sign-in its own session');
  t.not((await sessionRow(session.id)).idHash, session.id, 'the table holds a hash of the id');
});

t.test('signin: a wrong password and an unknown login answer alike', async (t) => {
  const name = login();
  await s.accounts.signup({ login: name, name: 'F', password: PASSWORD });
  const WRONG = { status: 401, code: 'WRONG_CREDENTIALS' };
  t.same(await errorOf(s.accounts.signin(name, 'not the password')), WRONG);
  t.same(await errorOf(s.accounts.signin(login(), PASSWORD)), WRONG);
});

t.test('signin: SIGNIN_MAX_FAILED_PER_LOGIN wrong passwords lock the login out, right ones do not', async (t) => {
  const name = login();
  await s.accounts.signup({ login: name, name: 'G', password: PASSWORD });
  for (let i = 0; i < 4; i++) await s.accounts.signin(name, PASSWORD);
  for (let i = 0; i < 3; i++) await rejection(s.accounts.signin(name.toUpperCase(), 'wrong'));
  const refused = await errorOf(s.accounts.signin(name, PASSWORD));
  t.match(refused, { status: 429, code: 'TOO_MANY_REQUESTS' });
  t.ok(refused.retryAfter! > 800 && refused.retryAfter! <= 900, `the rest of 15 minutes: ${refused.retryAfter} s`);
  const unknown = login();
  for (let i = 0; i < 3; i++) await rejection(s.accounts.signin(unknown, PASSWORD));
  t.match(await errorOf(s.accounts.signin(unknown, PASSWORD)), { status: 429 }, 'unknown logins alike');
});

t.test('signin: a database failure is no wrong password', async (t) => {
  const name = login();
  await s.accounts.signup({ login: name, name: 'H', password: PASSWORD });
  // A service whose account look-up always fails, with the given failure budget.
  const withBrokenLookup = (message: string, budget: ConstructorParameters<typeof AccountsService>[2]) =>
    new AccountsService(
      {
        accounts: {
          findByLogin: async () => {
            throw new Error(message);
          },
        } as unknown as typeof s.repositories.accounts,
        sessions: s.repositories.sessions,
      },
      3600,
      budget,
    );
  const broken = withBrokenLookup('database down', {
    reserve: (key) => s.redis.incr(`${s.config.QUEUE_PREFIX}:probe:${key}`).then(() => 0),
    refund: async () => {},
  });
  for (let i = 0; i < 5; i++) t.match(await rejection(broken.signin(name, PASSWORD)), { message: 'database down' });
  await s.accounts.signin(name, PASSWORD);
  t.pass('the login is not locked out by the failures');
  const refunds: string[] = [];
  const counting = withBrokenLookup('down', { reserve: async () => 0, refund: async (key) => void refunds.push(key) });
  await rejection(counting.signin('MiXed', PASSWORD));
  t.same(refunds, ['mixed'], 'the attempt is given back');
});

t.test('signin without a failure budget: unlimited', async (t) => {
  const name = login();
  await s.accounts.signup({ login: name, name: 'I', password: PASSWORD });
  const unlimited = new AccountsService(s.repositories, 60);
  for (let i = 0; i < 4; i++) await rejection(unlimited.signin(name, 'wrong'));
  t.match(await unlimited.signin(name, PASSWORD), { user_name: 'I' });
  const down = new AccountsService(
    {
      accounts: {
        findByLogin: async () => {
          throw new Error('database down');
        },
      } as unknown as typeof s.repositories.accounts,
      sessions: s.repositories.sessions,
    },
    60,
  );
  t.match(await rejection(down.signin(name, PASSWORD)), { message: 'database down' }, "the database's error");
});

t.test('signin with Redis down: the budget fails open', async (t) => {
  const down = await createServices(t, {}, { redis: await deadRedis(t) });
  const name = login();
  await down.accounts.signup({ login: name, name: 'J', password: PASSWORD });
  t.match(await down.accounts.signin(name, PASSWORD), { user_name: 'J' });
  t.ok(down.redisErrors.length >= 2, 'reported');
});

t.test('authenticate: malformed, unknown, expired and closed sessions are nobody', async (t) => {
  const name = login();
  const account = await s.accounts.signup({ login: name, name: 'K', password: PASSWORD });
  const session = await s.accounts.signin(name, PASSWORD);
  t.equal(await s.accounts.authenticate(undefined), null, 'none');
  t.equal(await s.accounts.authenticate(''), null, 'empty');
  t.equal(await s.accounts.authenticate(session.id.toUpperCase()), null, 'not lower-case hex');
  t.equal(await s.accounts.authenticate(`${session.id}0`), null, 'too long');
  t.equal(await s.accounts.authenticate(`x${session.id}`), null, 'a prefix');
  t.equal(await s.accounts.authenticate('0'.repeat(32)), null, 'unknown');
  t.same(await s.accounts.authenticate(session.id), { userId: account.id, admin: false });

  const row = await sessionRow(session.id);
  await s.db.prisma.session.update({ where: { idHash: row.idHash }, data: { expireTime: new Date(Date.now() - 1) } });
  t.equal(await s.accounts.authenticate(session.id), null, 'expired');

  const other = await s.accounts.signin(name, PASSWORD);
  await s.accounts.signout(other.id);
  t.equal(await s.accounts.authenticate(other.id), null, 'signed out');
  await s.accounts.signout('not-a-session');
  await s.accounts.signout(session.id.toUpperCase());
  t.pass('signing out a malformed id does nothing');
});

t.test('authenticate: the session slides, written at most once a minute', async (t) => {
  const name = login();
  await s.accounts.signup({ login: name, name: 'L', password: PASSWORD });
  const session = await s.accounts.signin(name, PASSWORD);
  const { idHash, expireTime } = await sessionRow(session.id);
  await s.accounts.authenticate(session.id);
  t.same((await sessionRow(session.id)).expireTime, expireTime, 'fresh: not rewritten');

  const aged = new Date(Date.now() + 3_600_000 - 59_000);
  await s.db.prisma.session.update({ where: { idHash }, data: { expireTime: aged } });
  await s.accounts.authenticate(session.id);
  t.same((await sessionRow(session.id)).expireTime, aged, 'under a minute old: not rewritten');

  const old = new Date(Date.now() + 3_600_000 - 61_000);
  await s.db.prisma.session.update({ where: { idHash }, data: { expireTime: old } });
  const before = Date.now();
  await s.accounts.authenticate(session.id);
  const extended = (await sessionRow(session.id)).expireTime.getTime();
  t.ok(extended >= before + 3_599_000 && extended <= Date.now() + 3_600_000, 'extended to a full TTL');
});

t.test('authenticateReading: the caller and the settings of the account asked about', async (t) => {
  const name = login();
  const account = await s.accounts.signup({ login: name, name: 'M', password: PASSWORD });
  const session = await s.accounts.signin(name, PASSWORD);
  t.same(await s.accounts.authenticateReading(session.id, account.id), {
    caller: { userId: account.id, admin: false },
    account: { settings: null },
  });
  t.same(await s.accounts.authenticateReading(session.id, '0'.repeat(32)), {
    caller: { userId: account.id, admin: false },
    account: undefined,
  });
  t.equal(await s.accounts.authenticateReading(undefined, account.id), null);
  t.equal(await s.accounts.authenticateReading('nope', account.id), null);
  t.equal(await s.accounts.authenticateReading('0'.repeat(32), account.id), null, 'unknown');
  const { idHash } = await sessionRow(session.id);
  await s.db.prisma.session.update({ where: { idHash }, data: { expireTime: new Date(Date.now() - 1) } });
  t.equal(await s.accounts.authenticateReading(session.id, account.id), null, 'expired');
});

t.test('ensureAdmin: creates the bootstrap admin once, with any password, and never touches it again', async (t) => {
  const name = login();
  t.equal(await s.accounts.ensureAdmin(name, 'password123'), 'created');
  t.equal(await s.accounts.ensureAdmin(name.toLowerCase(), 'another one'), 'exists');
  const session = await s.accounts.signin(name, 'password123');
  t.match(session, { admin: true, user_name: 'Administrator' });
  t.same(await s.accounts.authenticate(session.id), { userId: session.user_id, admin: true });

  const racing = login();
  const answers = await Promise.all([1, 2, 3].map(() => s.accounts.ensureAdmin(racing, PASSWORD)));
  t.same(answers.sort(), ['created', 'exists', 'exists'], 'instances starting together');
  const failing = new AccountsService(
    {
      accounts: {
        loginExists: async () => false,
        create: async () => {
          throw Object.assign(new Error('database down'), { code: 'ECONNREFUSED' });
        },
      } as unknown as typeof s.repositories.accounts,
      sessions: s.repositories.sessions,
    },
    60,
  );
  t.match(await rejection(failing.ensureAdmin(login(), PASSWORD)), { message: 'database down' });
});

t.test('current and list: the account views, paged in creation order', async (t) => {
  const local = await createServices(t);
  const made = [];
  for (let i = 0; i < 3; i++)
    made.push(await local.accounts.signup({ login: login(), name: `N${i}`, password: PASSWORD }));
  t.same(await local.accounts.current(made[1]!.id), made[1]);
  t.same(await errorOf(local.accounts.current('0'.repeat(32))), { status: 401, code: 'NOT_SIGNED' });
  t.same(await local.accounts.list(1, 5), { data: made.slice(1), total: 3 });
  t.same(await local.accounts.list(0, 1), { data: made.slice(0, 1), total: 3 });
});
