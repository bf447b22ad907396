// End to end with real worker processes on one queue: two workers share 500
// messages and send each exactly once; a worker killed with SIGKILL mid-batch
// loses nothing; a worker stopped with SIGTERM finishes the jobs in hand.
import { randomBytes } from 'node:crypto';
import type { Config } from '@sms/config';
import { createDb, type PrismaClient } from '@sms/db';
import { createProducerRedis, createSmsQueue, enqueueSms, type SmsQueue } from '@sms/jobs';
import {
  createTestConfig,
  smsLines,
  startWorker,
  waitFor,
  workerStarted,
  type Proc,
  type Teardown,
} from '@sms/testing';
import t from 'tap';

async function setup(t: Teardown, count: number) {
  const config = await createTestConfig(t);
  const { prisma, close } = createDb(config);
  const redis = createProducerRedis(config);
  const queue = createSmsQueue(config, redis);
  t.teardown(async () => {
    await queue.close();
    await redis.quit();
    await close();
  });
  const ids = Array.from({ length: count }, () => randomBytes(16).toString('hex'));
  await prisma.smsMessage.createMany({
    data: ids.map((id, i) => ({
      id,
      recipient: `+38050${String(i).padStart(7, '0')}`,
      body: `Your verification code is ${String(i).padStart(6, '0')}`,
    })),
  });
  return { config, prisma, queue, ids, enqueue: () => enqueueSms(queue, ids) };
}

/** Waits until `count` rows are sent; on timeout says where the rest are and what the workers logged. */
async function allSent(prisma: PrismaClient, queue: SmsQueue, count: number, procs: Proc[], timeoutMs = 60_000) {
  try {
    await waitFor(async () => (await countStatus(prisma, 'sent')) === count, timeoutMs, `all ${count} sent`);
  } catch (err) {
    const rows = await prisma.smsMessage.groupBy({ by: ['status'], _count: true });
    const jobs = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
    const problems = procs.flatMap((p) =>
      p.lines
        .filter((l) => l.level >= 40)
        .slice(-5)
        .map((l) => `${p.name}: ${JSON.stringify(l)}`),
    );
    throw new Error(
      `${(err as Error).message}; rows ${JSON.stringify(rows)}; jobs ${JSON.stringify(jobs)}\n${problems.join('\n')}\n` +
        procs.map((p) => `${p.name} stderr: ${p.stderr().slice(-1000)}`).join('\n'),
      { cause: err },
    );
  }
}

const countStatus = (prisma: PrismaClient, status: 'queued' | 'sending' | 'sent' | 'failed') =>
  prisma.smsMessage.count({ where: { status } });

/** How often each message id was handed to a transport, across processes. */
function sendsPerId(...procs: Proc[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const proc of procs)
    for (const line of smsLines(proc))
      counts.set(String(line.messageId), (counts.get(String(line.messageId)) ?? 0) + 1);
  return counts;
}

t.test('two workers on one queue send each of 500 messages exactly once', async (t) => {
  const { config, prisma, queue, ids, enqueue } = await setup(t, 500);
  const env = { WORKER_CONCURRENCY: '10' };
  const a = startWorker(t, config, env, 'worker-a');
  const b = startWorker(t, config, env, 'worker-b');
  await Promise.all([workerStarted(a), workerStarted(b)]);
  const begin = Date.now();
  await enqueue();

  await allSent(prisma, queue, 500, [a, b]);
  t.comment(`500 messages in ${Date.now() - begin} ms`);
  await Promise.all([a.stop(), b.stop()]);
  const counts = sendsPerId(a, b);
  t.equal(counts.size, 500, 'every message was sent');
  t.same(
    [...counts.values()].filter((n) => n !== 1),
    [],
    'none twice',
  );
  t.same(new Set(counts.keys()), new Set(ids));
  const byA = smsLines(a).length;
  t.ok(byA > 0 && byA < 500, `both workers took part (a: ${byA}, b: ${500 - byA})`);
  t.equal(await prisma.smsMessage.count({ where: { attempts: { not: 1 } } }), 0, 'one attempt each');
  const errors = [...a.lines, ...b.lines].filter((l) => l.level >= 50);
  t.same(errors, [], 'no worker logged an error');
});

/** Throttled (SMS_SEND_RATE_PER_SECOND) so the batch is still running when the worker is stopped. */
const batchEnv = (config: Config) => ({
  WORKER_CONCURRENCY: '5',
  SMS_SEND_RATE_PER_SECOND: '100',
  WORKER_LOCK_MS: '1000',
  SMS_LEASE_MS: '2000',
  REDIS_URL: config.REDIS_URL,
});

t.test('a worker killed (SIGKILL) mid-batch loses nothing: every message ends sent', async (t) => {
  const { config, prisma, queue, enqueue } = await setup(t, 300);
  const a = startWorker(t, config, batchEnv(config), 'worker-a');
  await workerStarted(a);
  await enqueue();
  await waitFor(async () => (await countStatus(prisma, 'sent')) >= 50, 30_000, '50 sent');
  await a.stop('SIGKILL');
  const inHand = await prisma.smsMessage.findMany({ where: { status: 'sending' }, select: { id: true } });
  const sentBeforeKill = await countStatus(prisma, 'sent');
  t.comment(`killed with ${sentBeforeKill} sent and ${inHand.length} in hand`);
  t.ok(sentBeforeKill < 300, 'the batch was not finished');

  // Another worker takes over: stalled jobs after WORKER_LOCK_MS, rows after SMS_LEASE_MS.
  const b = startWorker(t, config, batchEnv(config), 'worker-b');
  await allSent(prisma, queue, 300, [a, b]);
  t.equal(await countStatus(prisma, 'failed'), 0);
  await b.stop();

  const counts = sendsPerId(a, b);
  t.equal(counts.size, 300, 'every message reached the transport');
  // At-least-once: only a message in hand at the kill can have gone out twice.
  const twice = [...counts.entries()].filter(([, n]) => n > 1).map(([id]) => id);
  const inHandIds = new Set(inHand.map((r) => r.id));
  t.ok(
    twice.every((id) => inHandIds.has(id)),
    `duplicates only among the ${inHand.length} in hand (${twice.length})`,
  );
  t.ok(twice.length <= 5, 'at most WORKER_CONCURRENCY duplicates');
});

t.test('SIGTERM mid-batch finishes the jobs in hand, takes no new one, exits 0; nothing is sent twice', async (t) => {
  const { config, prisma, queue, enqueue } = await setup(t, 300);
  const a = startWorker(t, config, batchEnv(config), 'worker-a');
  await workerStarted(a);
  await enqueue();
  await waitFor(async () => (await countStatus(prisma, 'sent')) >= 50, 30_000, '50 sent');
  const stoppedAt = Date.now();
  t.same(await a.stop('SIGTERM'), { code: 0, signal: null }, 'exit 0');
  t.comment(`stopped in ${Date.now() - stoppedAt} ms`);
  t.equal(await countStatus(prisma, 'sending'), 0, 'no message left half-done');
  const sentByA = await countStatus(prisma, 'sent');
  t.ok(sentByA < 300, `the rest stays queued (${300 - sentByA})`);

  const b = startWorker(t, config, batchEnv(config), 'worker-b');
  await allSent(prisma, queue, 300, [a, b]);
  await b.stop();
  const counts = sendsPerId(a, b);
  t.equal(counts.size, 300);
  t.same(
    [...counts.values()].filter((n) => n !== 1),
    [],
    'none twice',
  );
});
