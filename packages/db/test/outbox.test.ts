// The outbox: a code is committed only with the SMS that carries it. When the
// message cannot be written, the account keeps what it had: no code the user
// could never receive.
import t from 'tap';
import { createDb, createRepositories } from '@sms/db';
import { createTestDatabase } from '@sms/testing';

const USER = 'a'.repeat(32);
const PHONE = '+380508308443';
const code = (hash: string) => ({ codeHash: hash.repeat(64), codeExpireTime: new Date(Date.now() + 60_000) });

t.test('a code whose message cannot be written is not stored either', async (t) => {
  const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 2 });
  t.teardown(() => db.close());
  const { accounts, smsSettings } = createRepositories(db);
  await accounts.create({ id: USER, login: USER, name: 'n', email: null, passwordHash: 'x', admin: false });

  const first = code('1');
  await smsSettings.storeCode(USER, PHONE, first, { id: 'm'.repeat(32), body: 'code 111111' });
  // The second message's INSERT fails (its id is taken): the whole write must go.
  await t.rejects(smsSettings.storeCode(USER, '+380508308444', code('2'), { id: 'm'.repeat(32), body: 'code 222222' }));

  t.same(
    await smsSettings.loadForAccount(USER),
    { settings: { phone: PHONE, verified: false, ...first, language: null }, holderUserId: null },
    'the account still has the first phone and code, whose SMS exists',
  );
  t.equal(await smsSettings.findPendingUser('+380508308444'), null, 'nothing pending for the second phone');
  t.same(
    (await db.prisma.smsMessage.findMany({ select: { recipient: true, body: true } })).map((m) => m.body),
    ['code 111111'],
  );
});

t.test('first codes of one account stored at once all commit, each with its SMS', async (t) => {
  const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 10 });
  t.teardown(() => db.close());
  const { accounts, smsSettings } = createRepositories(db);
  await accounts.create({ id: USER, login: USER, name: 'n', email: null, passwordHash: 'x', admin: false });

  // The account has no settings row yet: every one of these inserts it or,
  // losing that race on the primary key, updates it, in the one statement.
  const hashes = Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(2, '0').repeat(32));
  const expiry = new Date(Date.now() + 60_000);
  await Promise.all(
    hashes.map((h, i) =>
      smsSettings.storeCode(
        USER,
        `+3805083084${String(i).padStart(2, '0')}`,
        { codeHash: h, codeExpireTime: expiry },
        { id: h.slice(0, 32), body: `code ${i}` },
      ),
    ),
  );

  const rows = await db.prisma.smsSettings.findMany({ select: { codeHash: true, phone: true } });
  t.equal(rows.length, 1, 'one settings row');
  const winner = hashes.indexOf(rows[0]!.codeHash!);
  t.ok(winner >= 0, 'holding one of the codes');
  t.equal(rows[0]!.phone, `+3805083084${String(winner).padStart(2, '0')}`, 'with its phone');
  t.equal(await db.prisma.smsMessage.count(), 20, 'an SMS for each code');
});
