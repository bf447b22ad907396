// Which failures mean "the database is unavailable, try again" (the API's
// 503), which are lock conflicts to run again, and which are a taken unique
// key: told from errors the driver and Prisma really raise, and from the ways
// they wrap each other.
import t from 'tap';
import {
  createDb,
  describeConnectError,
  isDatabaseUnavailable,
  isLockConflict,
  isUniqueViolation,
  Prisma,
} from '@sms/db';
import { createTestDatabase, freePort } from '@sms/testing';

const caught = async (work: () => Promise<unknown>): Promise<unknown> => {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
};

/** `err` wrapped `depth` times, alternately as a cause and as Prisma's driver adapter error. */
const wrapped = (err: object, depth: number): object => {
  let outer = err;
  for (let i = 0; i < depth; i++) {
    outer =
      i % 2 ? { message: 'wrapper', meta: { driverAdapterError: outer } } : new Error('wrapper', { cause: outer });
  }
  return outer;
};

t.test('a taken unique key, as Prisma reports it, on the index named or any', async (t) => {
  const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 2 });
  t.teardown(() => db.close());
  const account = { id: 'a'.repeat(32), login: 'ann', name: 'n', passwordHash: 'x' };
  await db.prisma.account.create({ data: account });
  const taken = await caught(() => db.prisma.account.create({ data: { ...account, id: 'b'.repeat(32) } }));
  t.equal(isUniqueViolation(taken), true);
  t.equal(isUniqueViolation(taken, 'accounts_login_key'), true);
  t.equal(isUniqueViolation(taken, 'sms_settings_verified_phone_key'), false, 'another index');
  t.equal(isDatabaseUnavailable(taken), false, 'no outage');
  t.equal(isLockConflict(taken), false);

  const missing = await caught(() => db.prisma.account.update({ where: { id: 'c'.repeat(32) }, data: { name: 'x' } }));
  t.equal(isUniqueViolation(missing), false, 'another Prisma error');
  t.equal(isUniqueViolation(Object.assign(new Error('dup'), { code: 'P2002' })), false, 'not a Prisma error');
  t.equal(isUniqueViolation(undefined), false);

  const syntax = await caught(() => db.prisma.$executeRawUnsafe('SELEC 1'));
  t.equal(isDatabaseUnavailable(syntax), false, 'a bad statement is no outage');
  t.equal(isLockConflict(syntax), false);
});

t.test('a database nobody answers on is unavailable, through the model API, raw SQL and the driver', async (t) => {
  const db = createDb({ DATABASE_URL: `mysql://root@127.0.0.1:${await freePort()}/nowhere`, DATABASE_POOL_SIZE: 1 });
  t.teardown(() => db.close());
  // At once: each waits at least the pool's ACQUIRE_TIMEOUT_MS (10 s; Prisma's
  // first query on a pool that never connected, twice that).
  const [model, raw, driver] = await Promise.all([
    caught(() => db.prisma.account.count()),
    caught(() => db.prisma.$queryRaw`SELECT 1`),
    caught(() => db.pool.query('SELECT 1')),
  ]);
  t.equal(isDatabaseUnavailable(model), true, 'Prisma');
  t.equal(isDatabaseUnavailable(raw), true, 'raw SQL');
  t.equal(isDatabaseUnavailable(driver), true, "the driver's pool (GET's read)");
});

t.test('the codes and messages of an outage, wherever they sit in the chain', async (t) => {
  const codes = [
    'P1001',
    'P1002',
    'P1017',
    'P2024',
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'ER_GET_CONNECTION_TIMEOUT',
    'ER_CONNECTION_TIMEOUT',
    'ER_SOCKET_UNEXPECTED_CLOSE',
    'ER_CONNECTION_ALREADY_CLOSED',
    'ER_CLOSING_POOL',
    'ER_POOL_ALREADY_CLOSED',
    'ER_LOCK_DEADLOCK',
    'ER_LOCK_WAIT_TIMEOUT',
  ];
  for (const code of codes) t.equal(isDatabaseUnavailable({ code }), true, code);
  const messages = [
    'pool timeout: failed to retrieve a connection',
    'connect ECONNREFUSED 127.0.0.1:3306',
    'Connection refused',
    'connect ETIMEDOUT',
    'socket has unexpectedly been closed',
    "Can't reach database server",
    'Unable to start a transaction in the given time',
  ];
  for (const message of messages) t.equal(isDatabaseUnavailable(new Error(message)), true, message);
  t.equal(isDatabaseUnavailable(Object.assign(new Error('x'), { name: 'PrismaClientInitializationError' })), true);
  t.equal(isDatabaseUnavailable({ errno: 1213 }), true, 'a lock conflict that outlived its retries');

  for (const depth of [1, 2, 6])
    t.equal(isDatabaseUnavailable(wrapped({ code: 'ECONNREFUSED' }, depth)), true, `${depth} deep`);
  t.equal(isDatabaseUnavailable(wrapped({ code: 'ECONNREFUSED' }, 7)), false, 'not searched deeper than 6');
  t.equal(isDatabaseUnavailable(wrapped({ errno: 1205 }, 3)), true, 'a lock conflict inside');

  for (const other of [
    null,
    undefined,
    'ECONNREFUSED',
    42,
    new Error('boom'),
    { code: 'P2002' },
    { code: 1045 },
    { message: 42 },
  ]) {
    t.equal(isDatabaseUnavailable(other), false, String(other));
  }
});

t.test('lock conflicts: deadlocks and lock wait timeouts, however reported', async (t) => {
  t.equal(isLockConflict({ errno: 1213 }), true, 'driver deadlock');
  t.equal(isLockConflict({ errno: 1205 }), true, 'driver lock wait timeout');
  t.equal(isLockConflict({ code: 1213 }), true, 'numeric code');
  t.equal(isLockConflict({ code: 1205 }), true);
  for (const code of ['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'P2034'])
    t.equal(isLockConflict({ code }), true, code);
  t.equal(isLockConflict({ kind: 'TransactionWriteConflict' }), true, "the adapter's kind");
  for (const depth of [1, 2, 6]) t.equal(isLockConflict(wrapped({ errno: 1213 }, depth)), true, `${depth} deep`);
  t.equal(isLockConflict(wrapped({ errno: 1213 }, 7)), false, 'not searched deeper than 6');
  for (const other of [
    null,
    undefined,
    'ER_LOCK_DEADLOCK',
    { errno: 1062 },
    { code: 1062 },
    { code: 'P2002' },
    { errno: '1213' },
    { kind: 'Other' },
  ]) {
    t.equal(isLockConflict(other), false, JSON.stringify(other) ?? String(other));
  }
});

t.test('a unique violation names its index in the metadata or only in the message', async (t) => {
  const violation = (message: string, meta?: Record<string, unknown>) =>
    new Prisma.PrismaClientKnownRequestError(message, { code: 'P2002', clientVersion: 'test', meta });
  const inMessage = violation('Unique constraint failed on the constraint: `accounts_login_key`', {});
  t.equal(isUniqueViolation(inMessage, 'accounts_login_key'), true, 'message only');
  const inMeta = violation('Unique constraint failed', { target: 'accounts_login_key' });
  t.equal(isUniqueViolation(inMeta, 'accounts_login_key'), true, 'metadata only');
  t.equal(isUniqueViolation(violation('Unique constraint failed'), 'accounts_login_key'), false, 'neither');
  t.equal(isUniqueViolation(violation('Unique constraint failed')), true, 'any index');
});

t.test('a failed connection at start: the driver’s first line, and the fix when it is in DATABASE_URL', async (t) => {
  const hint = ' (add ?allowPublicKeyRetrieval=true to DATABASE_URL, or connect with TLS: ?ssl=true)';
  const rsa = 'RSA public key is not available client side';
  t.equal(describeConnectError({ errno: 45044, text: rsa, message: `(conn) ${rsa}\nsql: …` }), rsa + hint, 'by errno');
  t.equal(
    describeConnectError({ code: 'ER_CANNOT_RETRIEVE_RSA_KEY', message: `${rsa}\n  at …` }),
    rsa + hint,
    'by code',
  );
  t.equal(
    describeConnectError({ code: 'ER_ACCESS_DENIED_ERROR', message: "Access denied for user 'x'\nmore" }),
    "Access denied for user 'x'",
    'another failure: its first line, no hint',
  );
  t.equal(describeConnectError(new Error('connect ECONNREFUSED 127.0.0.1:1')), 'connect ECONNREFUSED 127.0.0.1:1');
  t.equal(describeConnectError('plain text'), 'plain text', 'not an error object');
});
