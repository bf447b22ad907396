// The accounts and sessions repositories, and the column names every
// repository's row types derive from, against a real migrated database.
import t from 'tap';
import { createDb, createRepositories, tables, type Db } from '@sms/db';
import { createTestDatabase, type Teardown } from '@sms/testing';

async function testDb(t: Teardown): Promise<Db> {
  const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 2 });
  t.teardown(() => db.close());
  return db;
}

const account = (n: number, admin = false) => ({
  id: `${'a'.repeat(31)}${n}`,
  login: `user${n}`,
  name: `User ${n}`,
  email: null,
  passwordHash: 'x',
  admin,
});

t.test('the column names of each table are the migrated ones', async (t) => {
  const db = await testDb(t);
  for (const [table, columns] of Object.entries(tables)) {
    const rows = await db.prisma.$queryRaw<{ name: string }[]>`
      SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = DATABASE() AND table_name = ${table} ORDER BY column_name`;
    t.same(rows.map((r) => r.name).sort(), Object.values(columns).sort(), table);
  }
});

t.test('accounts: create, a taken login, look-ups and pages', async (t) => {
  const { accounts } = createRepositories(await testDb(t));
  const created = await accounts.create(account(1, true));
  t.equal(created?.admin, true, 'admin is a boolean');
  t.ok(created?.createTime instanceof Date);
  t.equal(await accounts.create({ ...account(2), login: 'user1' }), null, 'a taken login is null');

  t.equal(await accounts.loginExists('user1'), true);
  t.equal(await accounts.loginExists('nobody'), false);
  t.equal((await accounts.findByLogin('user1'))?.id, created?.id);
  t.equal(await accounts.findById('f'.repeat(32)), null);

  await accounts.create(account(2));
  await accounts.create(account(3));
  const page = await accounts.page(1, 1);
  t.equal(page.total, 3);
  t.same(
    page.rows.map((a) => a.login),
    ['user2'],
    'in creation order',
  );
});

t.test('sessions: the holder with its admin flag, extended, deleted', async (t) => {
  const { accounts, sessions } = createRepositories(await testDb(t));
  await accounts.create(account(1, true));
  await accounts.create(account(2));
  const expireTime = new Date(Date.now() + 60_000);
  const session = await sessions.create({ idHash: 'a'.repeat(64), userId: account(1).id, expireTime });
  t.ok(session.openTime instanceof Date);
  await sessions.create({ idHash: 'b'.repeat(64), userId: account(2).id, expireTime });

  t.same(await sessions.findHolder('a'.repeat(64)), { userId: account(1).id, expireTime, admin: true });
  t.same(await sessions.findHolder('b'.repeat(64)), { userId: account(2).id, expireTime, admin: false });
  t.equal(await sessions.findHolder('c'.repeat(64)), null);

  const later = new Date(Date.now() + 120_000);
  await sessions.extend('a'.repeat(64), later);
  t.same((await sessions.findHolder('a'.repeat(64)))?.expireTime, later);
  t.same((await sessions.findHolder('b'.repeat(64)))?.expireTime, expireTime, 'no other session is extended');

  await sessions.delete('a'.repeat(64));
  t.equal(await sessions.findHolder('a'.repeat(64)), null);
});

t.test("sessions: the holder and an account's settings in one statement", async (t) => {
  const { accounts, sessions, smsSettings } = createRepositories(await testDb(t));
  await accounts.create(account(1));
  await accounts.create(account(2));
  const expireTime = new Date(Date.now() + 60_000);
  await sessions.create({ idHash: 'a'.repeat(64), userId: account(1).id, expireTime });
  await smsSettings.setVerified(account(2).id, '+380501234567');
  const holder = { userId: account(1).id, expireTime, admin: false };

  t.same(await sessions.findHolderWithSettings('a'.repeat(64), account(1).id), {
    holder,
    account: { settings: null },
  });
  t.same(
    await sessions.findHolderWithSettings('a'.repeat(64), account(2).id),
    {
      holder,
      account: {
        settings: { phone: '+380501234567', verified: true, codeHash: null, codeExpireTime: null, language: null },
      },
    },
    "another's settings are read; whether they may be seen is the service's call",
  );
  const codeExpireTime = new Date(Date.now() + 300_000);
  await smsSettings.storeCode(
    account(1).id,
    '+380501234568',
    { codeHash: 'c'.repeat(64), codeExpireTime, language: 'uk' },
    null,
  );
  t.same(
    await sessions.findHolderWithSettings('a'.repeat(64), account(1).id),
    {
      holder,
      account: {
        settings: { phone: '+380501234568', verified: false, codeHash: 'c'.repeat(64), codeExpireTime, language: 'uk' },
      },
    },
    'a pending code, its expiry and its language',
  );
  t.same(await sessions.findHolderWithSettings('a'.repeat(64), 'f'.repeat(32)), { holder, account: undefined });
  t.equal(await sessions.findHolderWithSettings('c'.repeat(64), account(1).id), null, 'no such session');
});

t.test('createDb: ping answers, close may be called twice', async (t) => {
  const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 1 });
  await db.ping();
  t.equal(await db.prisma.account.count(), 0, 'Prisma and plain SQL share the pool');
  await Promise.all([db.close(), db.close()]);
  await t.rejects(db.ping(), 'closed');
});
