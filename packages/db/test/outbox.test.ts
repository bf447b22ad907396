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
