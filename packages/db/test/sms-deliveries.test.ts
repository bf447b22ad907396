// Delivery reports on sms_messages and the operators' list of messages,
// against a real migrated database: reports that come twice or out of order
// leave the row in the state of the newest one.
import t from 'tap';
import { createDb, createRepositories } from '@sms/db';
import { createTestDatabase } from '@sms/testing';

const USER = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const id = (n: number) => `${'d'.repeat(30)}${String(n).padStart(2, '0')}`;
const at = (s: number) => new Date(Date.UTC(2026, 4, 1, 12, 0, s));

const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 2 });
t.teardown(() => db.close());
const { accounts, smsDeliveries } = createRepositories(db);
for (const user of [USER, OTHER]) {
  await accounts.create({ id: user, login: user, name: 'n', email: null, passwordHash: 'x', admin: false });
}

async function message(n: number, data: Record<string, unknown> = {}) {
  await db.prisma.smsMessage.create({
    data: { id: id(n), userId: USER, recipient: '+380508308443', body: 'b', status: 'sent', ...data },
  });
}
const row = (n: number) =>
  db.prisma.smsMessage.findUniqueOrThrow({
    where: { id: id(n) },
    select: {
      deliveryStatus: true,
      deliveryTime: true,
      deliveryError: true,
      statusDatetime: true,
      providerMessageId: true,
    },
  });

t.test('a report applies to its message, once; an unknown message is unknown', async (t) => {
  await message(1);
  t.same(await smsDeliveries.applyReport({ messageId: id(99), deliveryStatus: 'delivered', statusDatetime: at(1) }), {
    result: 'unknown',
  });
  const report = {
    messageId: id(1),
    deliveryStatus: 'delivery_failed' as const,
    statusDatetime: at(5),
    error: 'E1',
    providerMessageId: 'p1',
  };
  t.same(await smsDeliveries.applyReport(report), {
    result: 'applied',
    userId: USER,
    recipient: '+380508308443',
    previous: null,
  });
  t.same(await row(1), {
    deliveryStatus: 'delivery_failed',
    deliveryTime: at(5),
    deliveryError: 'E1',
    statusDatetime: at(5),
    providerMessageId: 'p1',
  });
  t.same(
    await smsDeliveries.applyReport(report),
    { result: 'applied', userId: USER, recipient: '+380508308443', previous: 'delivery_failed' },
    'the same report again: no change, same time',
  );
  t.same(
    await smsDeliveries.applyReport({ ...report, statusDatetime: at(4), deliveryStatus: 'expired' }),
    { result: 'stale' },
    'older',
  );
  t.equal((await row(1)).deliveryStatus, 'delivery_failed');
});

t.test('delivered is final; its error is cleared; newer reports change nothing after it', async (t) => {
  await message(2, { providerMessageId: 'mine' });
  await smsDeliveries.applyReport({
    messageId: id(2),
    deliveryStatus: 'delivery_failed',
    statusDatetime: at(1),
    error: 'x'.repeat(300),
  });
  t.equal((await row(2)).deliveryError, 'x'.repeat(200), 'the error is clipped to 200 characters');
  t.match(
    await smsDeliveries.applyReport({
      messageId: id(2),
      deliveryStatus: 'delivered',
      statusDatetime: at(2),
      error: 'ignored',
      providerMessageId: 'theirs',
    }),
    { result: 'applied', previous: 'delivery_failed' },
  );
  t.same(await row(2), {
    deliveryStatus: 'delivered',
    deliveryTime: at(2),
    deliveryError: null,
    statusDatetime: at(2),
    providerMessageId: 'mine',
  });
  t.same(
    await smsDeliveries.applyReport({ messageId: id(2), deliveryStatus: 'delivery_failed', statusDatetime: at(9) }),
    {
      result: 'stale',
    },
  );
  t.same(await smsDeliveries.applyReport({ messageId: id(2), deliveryStatus: null, statusDatetime: at(9) }), {
    result: 'stale',
  });
  t.equal((await row(2)).deliveryStatus, 'delivered');
});

t.test('an interim report records its time and the provider id, and never clears an outcome', async (t) => {
  await message(3);
  t.match(
    await smsDeliveries.applyReport({
      messageId: id(3),
      deliveryStatus: null,
      statusDatetime: at(3),
      providerMessageId: 'p3',
    }),
    {
      result: 'applied',
      previous: null,
    },
  );
  t.same(await row(3), {
    deliveryStatus: null,
    deliveryTime: null,
    deliveryError: null,
    statusDatetime: at(3),
    providerMessageId: 'p3',
  });
  t.same(
    await smsDeliveries.applyReport({ messageId: id(3), deliveryStatus: null, statusDatetime: at(2) }),
    { result: 'stale' },
    'an older interim one',
  );
  await smsDeliveries.applyReport({ messageId: id(3), deliveryStatus: 'expired', statusDatetime: at(4) });
  t.same(
    await smsDeliveries.applyReport({ messageId: id(3), deliveryStatus: null, statusDatetime: at(8) }),
    { result: 'stale' },
    'after an outcome',
  );
  t.same(await row(3), {
    deliveryStatus: 'expired',
    deliveryTime: at(4),
    deliveryError: null,
    statusDatetime: at(4),
    providerMessageId: 'p3',
  });
  t.match(await smsDeliveries.applyReport({ messageId: id(3), deliveryStatus: 'delivered', statusDatetime: at(6) }), {
    result: 'applied',
    previous: 'expired',
  });
});

t.test('the list: newest first, filtered, paged, with the total; never the body', async (t) => {
  await db.prisma.smsMessage.deleteMany();
  const minutes = (m: number) => new Date(Date.UTC(2026, 4, 1, 12, m));
  await message(10, { createTime: minutes(1) });
  await message(11, { createTime: minutes(2), status: 'queued', userId: OTHER });
  await message(12, { createTime: minutes(3), deliveryStatus: 'delivered' });
  await message(13, { createTime: minutes(3), status: 'failed' });
  const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

  const all = await smsDeliveries.list({ skip: 0, take: 10 });
  t.equal(all.total, 4);
  t.same(ids(all.rows), [id(13), id(12), id(11), id(10)], 'newest first, then by id');
  t.same(Object.keys(all.rows[0]!).sort(), [
    'attempts',
    'createTime',
    'deliveryError',
    'deliveryStatus',
    'deliveryTime',
    'encoding',
    'id',
    'language',
    'lastError',
    'provider',
    'providerMessageId',
    'recipient',
    'segments',
    'sentTime',
    'status',
    'updateTime',
    'userId',
  ]);
  t.same(await smsDeliveries.list({ skip: 1, take: 2 }).then((r) => [ids(r.rows), r.total]), [[id(12), id(11)], 4]);
  t.same(await smsDeliveries.list({ skip: 0, take: 10, userId: OTHER }).then((r) => [ids(r.rows), r.total]), [
    [id(11)],
    1,
  ]);
  t.same(await smsDeliveries.list({ skip: 0, take: 10, status: 'sent' }).then((r) => [ids(r.rows), r.total]), [
    [id(12), id(10)],
    2,
  ]);
  t.same(
    await smsDeliveries.list({ skip: 0, take: 10, deliveryStatus: 'delivered' }).then((r) => [ids(r.rows), r.total]),
    [[id(12)], 1],
  );
  t.same(
    await smsDeliveries.list({ skip: 0, take: 10, userId: USER, status: 'failed' }).then((r) => [ids(r.rows), r.total]),
    [[id(13)], 1],
  );
  t.same(await smsDeliveries.list({ skip: 0, take: 10, userId: OTHER, status: 'failed' }), { rows: [], total: 0 });
});

t.test(
  'a provider id finds its message (the newest, when a provider reused one); an unknown id finds none',
  async (t) => {
    await message(20, { providerMessageId: 'bird-1', createTime: at(10) });
    await message(21, { providerMessageId: 'bird-1', createTime: at(20) });
    await message(22, { providerMessageId: 'bird-2', createTime: at(30) });
    t.equal(await smsDeliveries.messageIdByProviderId('bird-1'), id(21), 'the newer of two');
    t.equal(await smsDeliveries.messageIdByProviderId('bird-2'), id(22));
    t.equal(await smsDeliveries.messageIdByProviderId('no-such-id'), null);
  },
);
