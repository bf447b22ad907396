// What each repository query selects, orders and leaves alone, against a real
// migrated database: the rows next to the one a query is about must come out
// as they were, and a failure that is not the one a repository expects is
// the caller's.
import t from 'tap';
import { createDb, createRepositories, tables } from '@sms/db';
import { createTestDatabase } from '@sms/testing';

const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 2 });
t.teardown(() => db.close());
const { accounts, sessions, smsSettings, smsMessages } = createRepositories(db);

let n = 0;
const nextId = (prefix: string) => `${prefix}${String(++n).padStart(32 - prefix.length, '0')}`;
async function account(data: { id?: string; createTime?: Date } = {}): Promise<string> {
  const id = data.id ?? nextId('a');
  await db.prisma.account.create({
    data: {
      id,
      login: `l${id}`,
      name: 'n',
      passwordHash: 'x',
      ...(data.createTime && { createTime: data.createTime }),
    },
  });
  return id;
}
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
const failure = async (work: () => Promise<unknown>) => {
  try {
    await work();
  } catch (err) {
    return err;
  }
  return 'no failure';
};

t.test('every migrated table has its column names in `tables`', async (t) => {
  const rows = await db.prisma.$queryRaw<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = DATABASE() AND table_name NOT LIKE '%migration%' ORDER BY table_name`;
  t.same(rows.map((r) => r.name).sort(), Object.keys(tables).sort());
});

t.test('accounts: a page is in creation order, ties by id, whatever the ids', async (t) => {
  await db.prisma.account.deleteMany();
  const at = new Date(Date.UTC(2026, 0, 1));
  const later = new Date(Date.UTC(2026, 0, 2));
  const newest = await account({ id: 'a'.repeat(32), createTime: later });
  const tieB = await account({ id: 'c'.repeat(32), createTime: at });
  const tieA = await account({ id: 'b'.repeat(32), createTime: at });
  const { rows, total } = await accounts.page(0, 10);
  t.same(
    rows.map((r) => r.id),
    [tieA, tieB, newest],
  );
  t.equal(total, 3);
});

t.test('accounts: a failure other than a taken login is thrown, not "taken"', async (t) => {
  const tooLong = await failure(() =>
    accounts.create({
      id: nextId('a'),
      login: 'x'.repeat(65),
      name: 'n',
      email: null,
      passwordHash: 'x',
      admin: false,
    }),
  );
  t.type(tooLong, Error, 'a login longer than its column');
});

t.test('sessions: deleting one leaves the others', async (t) => {
  const userId = await account();
  const expireTime = new Date(Date.now() + 60_000);
  await sessions.create({ idHash: '1'.repeat(64), userId, expireTime });
  await sessions.create({ idHash: '2'.repeat(64), userId, expireTime });
  await sessions.delete('1'.repeat(64));
  t.equal(await sessions.findHolder('1'.repeat(64)), null);
  t.match(await sessions.findHolder('2'.repeat(64)), { userId });
});

t.test('sms-settings: a failure other than the phone being verified elsewhere is thrown', async (t) => {
  t.type(await failure(() => smsSettings.setVerified('0'.repeat(32), '+380508308443')), Error, 'no such account');
  const userId = await account();
  const hash = '7'.repeat(64);
  await smsSettings.storeCode(
    userId,
    '+380508308443',
    { codeHash: hash, codeExpireTime: minutesAgo(-5) },
    {
      id: nextId('m'),
      body: 'b',
    },
  );
  t.type(
    await failure(() => smsSettings.verifyWithCode(userId, hash, `+${'1'.repeat(20)}`)),
    Error,
    'a phone too long',
  );
});

t.test('sms-settings: a code tried more often than a lowered limit allows is no candidate', async (t) => {
  const phone = '+380508300001';
  const userId = await account();
  const hash = '8'.repeat(64);
  await smsSettings.storeCode(
    userId,
    phone,
    { codeHash: hash, codeExpireTime: minutesAgo(-5) },
    { id: nextId('m'), body: 'b' },
  );
  t.same(await smsSettings.countAttempt(phone, 2), {
    counted: true,
    candidates: [{ userId, codeHash: hash }],
    liveAccounts: 1,
  });
  t.same(
    await smsSettings.countAttempt(phone, 2),
    { counted: true, candidates: [{ userId, codeHash: hash }], liveAccounts: 1 },
    'the last allowed attempt may still match',
  );
  t.same(
    await smsSettings.countAttempt(phone, 1),
    { counted: false, candidates: [], liveAccounts: 1 },
    'limit lowered to 1',
  );
});

t.test('sms-messages: an error is clipped only when longer than its column', async (t) => {
  const userId = await account();
  const lease = minutesAgo(-1);
  const cases: [length: number, stored: number][] = [
    [20, 20],
    [1000, 1000],
    [1001, 1000],
  ];
  for (const [length, stored] of cases) {
    const id = nextId('m');
    await db.prisma.smsMessage.create({ data: { id, userId, recipient: '+380508308443', body: 'b' } });
    await smsMessages.claim(id, lease);
    await smsMessages.markFailed(id, 'e'.repeat(length), 'b');
    const { lastError } = await db.prisma.smsMessage.findUniqueOrThrow({ where: { id } });
    t.equal(lastError?.length, stored, `${length} characters`);
    t.equal(lastError!.endsWith('...'), length > 1000, 'marked when clipped');
  }
});

t.test('sms-messages: recent send times are of that phone, in the window, newest first', async (t) => {
  const phone = '+380508300002';
  // Ids in the opposite order of the times, and other phones' messages in between.
  for (const [id, m, recipient] of [
    ['z', 1, phone],
    ['y', 2, '+380508300003'],
    ['x', 5, phone],
    ['w', 90, phone],
  ] as const) {
    await db.prisma.smsMessage.create({
      data: { id: id.repeat(32), recipient, body: 'b', createTime: minutesAgo(m), dueTime: minutesAgo(m) },
    });
  }
  const recent = await smsMessages.recentCreateTimes(phone, minutesAgo(60), 10);
  t.same(
    recent.map((d) => Math.round((Date.now() - d.getTime()) / 60_000)),
    [1, 5],
  );
});

t.test('sms-messages: the relay takes only the overdue rows, and moves them past the overdue age', async (t) => {
  await db.prisma.smsMessage.deleteMany();
  const row = (id: string, data: Record<string, unknown>) =>
    db.prisma.smsMessage.create({ data: { id: id.repeat(32), recipient: '+380508308443', body: 'b', ...data } });
  await row('1', { dueTime: minutesAgo(30) });
  await row('2', { dueTime: minutesAgo(1) });
  await row('3', { status: 'sending', leaseExpireTime: minutesAgo(30), dueTime: minutesAgo(30) });
  await row('4', { status: 'sent', dueTime: minutesAgo(30) });
  t.same((await smsMessages.takeOverdue(minutesAgo(10), 10)).sort(), ['1'.repeat(32), '3'.repeat(32)]);
  const due = async (id: string) =>
    (await db.prisma.smsMessage.findUniqueOrThrow({ where: { id: id.repeat(32) } })).dueTime.getTime();
  t.ok((await due('1')) > minutesAgo(1).getTime(), 'the overdue queued row is due now');
  t.ok(Math.abs((await due('2')) - minutesAgo(1).getTime()) < 5000, 'a queued row not overdue keeps its time');
  t.ok((await due('3')) < minutesAgo(29).getTime(), 'an abandoned sending row keeps its due time');
  t.ok((await due('4')) < minutesAgo(29).getTime(), 'a sent row keeps its time');
  const abandoned = await db.prisma.smsMessage.findUniqueOrThrow({ where: { id: '3'.repeat(32) } });
  t.ok(abandoned.leaseExpireTime! > minutesAgo(1), "the abandoned row's lease now ends at the take");
  t.ok(abandoned.leaseExpireTime! <= new Date(), '(still ended: a claim takes it)');
  t.same(await smsMessages.takeOverdue(minutesAgo(10), 10), [], 'neither is taken again before another age');
  t.same(
    (await smsMessages.stillUnsent(['1', '2', '3', '4', '5'].map((id) => id.repeat(32)))).sort(),
    ['1', '2', '3'].map((id) => id.repeat(32)),
    'still unsent: the queued and sending rows, not the sent one nor an unknown id',
  );
  t.same(await smsMessages.stillUnsent([]), [], 'no ids, no query');
  const claimed = await smsMessages.claim('3'.repeat(32), new Date(Date.now() + 60_000));
  t.equal(claimed.claimed, true, 'a worker claims the abandoned row as before');
});

t.test("sms-messages: a row's status, and an operator's restart of a queued row", async (t) => {
  const id = nextId('m');
  t.equal(await smsMessages.status(id), null, 'no row');
  await db.prisma.smsMessage.create({
    data: { id, recipient: '+380508308443', body: 'b', attempts: 3, dueTime: minutesAgo(-60) },
  });
  t.equal(await smsMessages.status(id), 'queued');
  const other = nextId('m');
  await db.prisma.smsMessage.create({
    data: { id: other, recipient: '+380508308443', body: 'b', attempts: 2, dueTime: minutesAgo(-60) },
  });
  const before = Date.now();
  t.equal(await smsMessages.restartAttempts(id), true);
  const restarted = await db.prisma.smsMessage.findUniqueOrThrow({ where: { id } });
  t.equal(restarted.attempts, 0);
  t.ok(restarted.dueTime.getTime() >= before - 1000 && restarted.dueTime.getTime() <= Date.now() + 1000, 'due now');
  t.match(
    await db.prisma.smsMessage.findUniqueOrThrow({ where: { id: other } }),
    { attempts: 2 },
    'another row untouched',
  );

  await smsMessages.claim(id, minutesAgo(-1));
  t.equal(await smsMessages.status(id), 'sending');
  t.equal(await smsMessages.restartAttempts(id), false, 'not queued: refused');
  t.equal(await smsMessages.restartAttempts(nextId('m')), false, 'no row');
});
