// CodeSender against a real migrated database: what a worker taking the job
// at once would find, and what the account holds afterwards.
import t from 'tap';
import { createDb, createRepositories } from '@sms/db';
import { createTestDatabase } from '@sms/testing';
import { CodeSender } from '../src/code-sender';
import { loadMessages } from '../src/messages';
import { TestNumbers } from '../src/test-numbers';

const USER = 'c'.repeat(32);
const config = {
  APP_SECRET: 's'.repeat(32),
  CODE_LENGTH: 6,
  CODE_TTL_SECONDS: 300,
};
const texts = (overrides: { SMS_TEMPLATE?: string; SERVICE_NAME?: string } = {}) =>
  loadMessages({
    ...config,
    SMS_TEMPLATE: 'Code: {code}',
    SERVICE_NAME: 'Test',
    SMS_DEFAULT_LANGUAGE: 'en',
    SMS_MAX_SEGMENTS: 1,
    ...overrides,
  });
const noTestNumbers = TestNumbers.fromConfig({ ...config, NODE_ENV: 'test' });
const TO = { phone: '+380508308443', country: 'UA', language: null };
// Limits are the limiter's own tests' concern: here every send is allowed.
const allowAll = {
  hit: async () => ({ allowed: true as const }),
  hitRequester: async () => ({ allowed: true as const }),
};

t.test(
  'the job is handed to the queue only once its message is committed, so a worker never finds it missing',
  async (t) => {
    const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 2 });
    t.teardown(() => db.close());
    const { accounts, smsSettings } = createRepositories(db);
    await accounts.create({ id: USER, login: USER, name: 'n', email: null, passwordHash: 'x', admin: false });

    const seenByWorker: unknown[] = [];
    const sender = new CodeSender({
      smsSettings,
      config,
      messages: texts(),
      testNumbers: noTestNumbers,
      limiter: allowAll,
      // What a worker taking the job this instant reads, on a connection of its own.
      enqueue: async (ids) => {
        for (const id of ids) {
          seenByWorker.push(
            await db.prisma.smsMessage.findUnique({ where: { id }, select: { status: true, body: true } }),
          );
        }
      },
    });
    const { code } = await sender.send(USER, TO);
    t.same(seenByWorker, [{ status: 'queued', body: `Code: ${code}` }]);
  },
);

t.test('an enqueue that fails (Redis down) still answers: the message stays queued for the sweeper', async (t) => {
  const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 2 });
  t.teardown(() => db.close());
  const { accounts, smsSettings } = createRepositories(db);
  await accounts.create({ id: USER, login: USER, name: 'n', email: null, passwordHash: 'x', admin: false });
  const reported: string[] = [];
  const sender = new CodeSender({
    smsSettings,
    config,
    messages: texts(),
    testNumbers: noTestNumbers,
    limiter: allowAll,
    enqueue: async () => {
      throw new Error('redis down');
    },
    onEnqueueError: (err, id) => reported.push(`${id}: ${err.message}`),
  });
  const { code, settings } = await sender.send(USER, TO);
  t.match(code, /^\d{6}$/);
  t.equal(settings.phone, '+380508308443');
  const rows = await db.prisma.smsMessage.findMany({ select: { id: true, status: true } });
  t.same(
    rows.map((r) => r.status),
    ['queued'],
  );
  t.same(reported, [`${rows[0]?.id}: redis down`]);
});

t.test('without an error hook a failed enqueue still answers', async (t) => {
  const db = createDb({ DATABASE_URL: await createTestDatabase(t), DATABASE_POOL_SIZE: 2 });
  t.teardown(() => db.close());
  const { accounts, smsSettings } = createRepositories(db);
  await accounts.create({ id: USER, login: USER, name: 'n', email: null, passwordHash: 'x', admin: false });
  const sender = new CodeSender({
    smsSettings,
    config,
    messages: texts({ SMS_TEMPLATE: '{service}: {code}', SERVICE_NAME: 'Shop {code}' }),
    testNumbers: noTestNumbers,
    limiter: allowAll,
    enqueue: async () => {
      throw new Error('redis down');
    },
  });
  const { code } = await sender.send(USER, TO);
  const [message] = await db.prisma.smsMessage.findMany({ select: { body: true } });
  t.equal(message?.body, `Shop {code}: ${code}`, 'the service name is sent as written');
});
