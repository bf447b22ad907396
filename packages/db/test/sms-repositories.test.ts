// The sms-settings and sms-messages repositories against a real migrated
// database: domain values out (booleans, numbers, Dates), update_time moved by
// every write.
import t from 'tap';
import { createDb, createRepositories, type Repositories } from '@sms/db';
import { createTestDatabase, type Teardown } from '@sms/testing';

const USER = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const PHONE = '+380508308443';
const messageId = (n: number) => `${'m'.repeat(31)}${n}`;
const code = (hash: string, ttlMs = 60_000) => ({
  codeHash: hash.repeat(64),
  codeExpireTime: new Date(Date.now() + ttlMs),
});

async function testRepositories(t: Teardown): Promise<Repositories & { db: ReturnType<typeof createDb> }> {
  const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 2 });
  t.teardown(() => db.close());
  const repositories = createRepositories(db);
  for (const id of [USER, OTHER]) {
    await repositories.accounts.create({ id, login: id, name: 'n', email: null, passwordHash: 'x', admin: false });
  }
  return { ...repositories, db };
}

t.test('sms-settings: a code stored with its message, loaded, counted, verified once', async (t) => {
  const { db, smsSettings } = await testRepositories(t);
  t.equal(await smsSettings.loadForAccount('f'.repeat(32)), undefined, 'no such account');
  t.same(await smsSettings.loadForAccount(USER), { settings: null, holderUserId: null }, 'no settings yet');

  const pending = code('1');
  await smsSettings.storeCode(USER, PHONE, pending, { id: messageId(1), body: 'code 111111' });
  const message = await db.prisma.smsMessage.findUniqueOrThrow({ where: { id: messageId(1) } });
  t.match(message, { userId: USER, recipient: PHONE, body: 'code 111111', status: 'queued', attempts: 0 });
  t.same(await smsSettings.loadForAccount(USER, PHONE), {
    settings: { phone: PHONE, verified: false, ...pending, language: null },
    holderUserId: null,
  });
  t.same(await smsSettings.findPendingUser(PHONE), { userId: USER, language: null });

  const before = (await db.prisma.smsSettings.findUniqueOrThrow({ where: { userId: USER } })).updateTime;
  const first = await smsSettings.countAttempt(PHONE, 2);
  t.same(first, { counted: true, candidates: [{ userId: USER, codeHash: pending.codeHash }], liveAccounts: 1 });
  const row = await db.prisma.smsSettings.findUniqueOrThrow({ where: { userId: USER } });
  t.equal(row.codeAttempts, 1);
  t.ok(row.updateTime >= before, 'update_time moved');
  await smsSettings.countAttempt(PHONE, 2);
  const exhausted = await smsSettings.countAttempt(PHONE, 2);
  t.equal(exhausted.counted, false, 'attempts used up');
  t.equal(exhausted.liveAccounts, 1, 'an exhausted code still counts as a live one');
  t.equal(await smsSettings.hasLiveCode(PHONE), true, 'the code is still live, if exhausted');

  t.equal(await smsSettings.verifyWithCode(USER, '9'.repeat(64), PHONE), 'stale', 'another code');
  t.equal(await smsSettings.verifyWithCode(USER, pending.codeHash, PHONE), 'verified');
  t.equal(await smsSettings.verifyWithCode(USER, pending.codeHash, PHONE), 'stale', 'used once');
  t.equal(await smsSettings.hasLiveCode(PHONE), false);
  t.equal(await smsSettings.findPendingUser(PHONE), null);
  t.same((await smsSettings.loadForAccount(OTHER, PHONE))?.holderUserId, USER, 'the holder of the phone');
});

t.test('sms-settings: one phone verified by one account at most', async (t) => {
  const { smsSettings } = await testRepositories(t);
  t.match(await smsSettings.setVerified(USER, PHONE), { phone: PHONE, verified: true, codeHash: null });
  t.equal(await smsSettings.setVerified(OTHER, PHONE), 'phone-in-use', 'by an admin');
  const pending = code('2');
  await smsSettings.storeCode(OTHER, PHONE, pending, { id: messageId(2), body: 'code 222222' });
  t.equal(await smsSettings.verifyWithCode(OTHER, pending.codeHash, PHONE), 'phone-in-use', 'by a code');
});

t.test('sms-messages: claimed once, leased, left only by its claimer', async (t) => {
  const { db, smsSettings, smsMessages } = await testRepositories(t);
  await smsSettings.storeCode(USER, PHONE, code('1'), { id: messageId(1), body: 'code 111111' });
  t.same(await smsMessages.claim('f'.repeat(32), new Date()), { claimed: false, status: 'missing' });

  const lease = new Date(Date.now() + 60_000);
  const claim = await smsMessages.claim(messageId(1), lease);
  t.match(claim, { claimed: true, message: { id: messageId(1), recipient: PHONE, body: 'code 111111', attempts: 1 } });
  t.ok(claim.claimed && claim.message.createTime instanceof Date);
  t.same(await smsMessages.claim(messageId(1), lease), { claimed: false, status: 'sending', leaseExpireTime: lease });

  t.equal(await smsMessages.requeue(messageId(1), 'x'.repeat(2000), new Date(), true), true);
  let row = await db.prisma.smsMessage.findUniqueOrThrow({ where: { id: messageId(1) } });
  t.match(row, { status: 'queued', attempts: 0, leaseExpireTime: null });
  t.equal(row.lastError?.length, 1000, 'the error clipped to its column');
  t.equal(await smsMessages.requeue(messageId(1), 'again', new Date(), false), false, 'not sending: not ours');

  await smsMessages.claim(messageId(1), lease);
  const sentTime = new Date();
  t.equal(
    await smsMessages.markSent(
      messageId(1),
      { provider: 'bird', providerMessageId: 'provider-1' },
      sentTime,
      'code ••••••',
    ),
    true,
  );
  row = await db.prisma.smsMessage.findUniqueOrThrow({ where: { id: messageId(1) } });
  t.match(row, {
    status: 'sent',
    provider: 'bird',
    providerMessageId: 'provider-1',
    sentTime,
    body: 'code ••••••',
    lastError: null,
  });
  t.equal(await smsMessages.markFailed(messageId(1), 'late', 'x'), false, 'a final row stays final');
  t.same(await smsMessages.claim(messageId(1), lease), { claimed: false, status: 'sent' });
});

t.test('sms-messages: recent send times and the overdue relay', async (t) => {
  const { db, smsMessages } = await testRepositories(t);
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
  for (const [n, m] of [1, 5, 30, 90].entries()) {
    await db.prisma.smsMessage.create({
      data: { id: messageId(n), recipient: PHONE, body: 'b', createTime: minutesAgo(m), dueTime: minutesAgo(m) },
    });
  }
  const recent = await smsMessages.recentCreateTimes(PHONE, minutesAgo(60), 2);
  t.same(
    recent.map((d) => Math.round((Date.now() - d.getTime()) / 60_000)),
    [1, 5],
    'newest first, at most `limit`, within the window',
  );

  const overdue = await smsMessages.takeOverdue(minutesAgo(10), 10);
  t.same(overdue.sort(), [messageId(2), messageId(3)]);
  const due = await db.prisma.smsMessage.findUniqueOrThrow({ where: { id: messageId(2) } });
  t.ok(due.dueTime > minutesAgo(1), 'due again now');
  t.same(await smsMessages.takeOverdue(minutesAgo(10), 10), [], 'nothing is overdue any more');
});
