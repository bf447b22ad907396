// The outbox sweeper: rows that have no job get one, exactly once, by one
// sweeper at a time; fresh rows and rows whose job is alive are left alone.
import { createDb, SmsMessagesRepository } from '@sms/db';
import type { Teardown } from '@sms/testing';
import { createProducerRedis, createSmsQueue, enqueueSms, jobIdFor } from '@sms/jobs';
import { pino } from 'pino';
import t from 'tap';
import { createMetrics } from '../src/metrics';
import { OutboxSweeper } from '../src/sweeper';
import { metricValue, testWorker, type TestWorker } from './helpers';

const SWEEP = { SMS_TRANSPORT: 'log', OUTBOX_SWEEP_AGE_MS: '200', OUTBOX_SWEEP_INTERVAL_MS: '100000' };
const overdue = () => new Date(Date.now() - 5_000);

/** A second sweeper, as another worker process would have: its own database pool and Redis connection. */
function otherSweeper(t: Teardown, w: TestWorker) {
  const db = createDb(w.config);
  const redis = createProducerRedis(w.config);
  const queue = createSmsQueue(w.config, redis);
  t.teardown(async () => {
    await queue.close();
    await db.close();
    await redis.quit();
  });
  return new OutboxSweeper({
    messages: new SmsMessagesRepository(db),
    queue,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    config: w.config,
  });
}

const smsLines = (w: TestWorker, id: string) => w.lines.filter((l) => l.messageId === id && 'to' in l);

t.test('a queued row with no job is enqueued exactly once, by concurrent sweepers too, and sent once', async (t) => {
  const w = await testWorker(t, SWEEP);
  const message = await w.insert({ dueTime: overdue() });
  const other = otherSweeper(t, w);

  await Promise.all([w.app.sweeper.sweepOnce(), other.sweepOnce(), w.app.sweeper.sweepOnce(), other.sweepOnce()]);
  t.equal(await w.jobState(message.id), 'waiting', 'it has a job');
  const counts = await w.app.queue.getJobCounts('waiting', 'delayed', 'active');
  t.same(counts, { waiting: 1, delayed: 0, active: 0 }, 'one job, not four');
  t.equal(await metricValue(w.app, 'sms_outbox_reenqueued_total'), 1);
  const moved = await w.row(message.id);
  t.ok(moved.dueTime.getTime() > Date.now() - 2000, 'looked at again only after OUTBOX_SWEEP_AGE_MS');

  w.app.start();
  await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  await w.waitForJob(message.id, 'completed');
  t.equal(await w.app.sweeper.sweepOnce(), 0, 'a sent row is not swept');
  t.equal(smsLines(w, message.id).length, 1, 'sent exactly once');
});

t.test('rows one sweeper holds are skipped by another (FOR UPDATE SKIP LOCKED)', async (t) => {
  const w = await testWorker(t, SWEEP);
  const message = await w.insert({ dueTime: overdue() });
  const other = otherSweeper(t, w);
  await w.app.prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM sms_messages WHERE id = ${message.id} FOR UPDATE`;
    t.equal(await other.sweepOnce(), 0, 'the locked row is skipped, not waited for');
  });
  t.equal(await other.sweepOnce(), 1, 'and taken once the lock is gone');
  t.equal(await w.jobState(message.id), 'waiting');
});

/**
 * A sweeper whose job lookups in Redis wait for `release()` (Redis slow to
 * answer), and a promise that resolves when it makes the first one.
 */
function sweeperWithSlowLookups(w: TestWorker) {
  let lookedUp!: () => void;
  const lookingUp = new Promise<void>((resolve) => (lookedUp = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const slowQueue = Object.create(w.app.queue) as typeof w.app.queue;
  slowQueue.getJob = async (id) => {
    lookedUp();
    await released;
    return w.app.queue.getJob(id);
  };
  const sweeper = new OutboxSweeper({
    messages: new SmsMessagesRepository(w.app.db),
    queue: slowQueue,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    config: w.config,
  });
  return { sweeper, lookingUp, release };
}

t.test("a worker's claim of a row being swept does not wait for the sweep's checks in Redis", async (t) => {
  const w = await testWorker(t, SWEEP);
  const message = await w.insert({ dueTime: overdue() });
  const { sweeper, lookingUp, release } = sweeperWithSlowLookups(w);
  const sweep = sweeper.sweepOnce();
  await lookingUp;

  // Another worker's claim (its own pool). Before, it waited for the sweep's
  // row lock, which the sweep held until its checks were done: it never ended
  // before `release`, and the safety release below made the sweep end first.
  const other = createDb(w.config);
  t.teardown(() => other.close());
  const order: string[] = [];
  const safety = setTimeout(release, 5_000);
  const claim = new SmsMessagesRepository(other)
    .claim(message.id, new Date(Date.now() + 60_000))
    .then((outcome) => (order.push('claim'), outcome));
  const swept = sweep.then((n) => (order.push('sweep'), n));
  const outcome = await claim;
  release();
  clearTimeout(safety);
  t.equal(await swept, 1, 'the sweep took the row');
  t.same(order, ['claim', 'sweep'], 'the claim ended while the sweep was still checking');
  t.equal(outcome.claimed, true, 'and took the row');
});

t.test('a row sent while the sweep looks up its job keeps that job and gets no other', async (t) => {
  const w = await testWorker(t, SWEEP);
  const message = await w.insert({ dueTime: overdue() });
  await enqueueSms(w.app.queue, [message.id]);
  const original = await w.app.queue.getJob(jobIdFor(message.id));
  const { sweeper, lookingUp, release } = sweeperWithSlowLookups(w);
  const sweep = sweeper.sweepOnce();
  await lookingUp;

  // A backlog's row: overdue, its job still waiting. A worker sends it now.
  w.app.start();
  await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  await w.waitForJob(message.id, 'completed');
  release();
  t.equal(await sweep, 1, 'the sweep took the row');
  const job = await w.app.queue.getJob(jobIdFor(message.id));
  t.equal(job?.timestamp, original?.timestamp, 'its completed job is the one it had, not replaced');
  t.same(await w.app.queue.getJobCounts('waiting', 'delayed', 'active'), { waiting: 0, delayed: 0, active: 0 });
  t.equal(smsLines(w, message.id).length, 1, 'sent once');
});

t.test('a fresh queued row and a row with a live job are left alone', async (t) => {
  const w = await testWorker(t, { ...SWEEP, OUTBOX_SWEEP_AGE_MS: '60000' });
  const fresh = await w.insert();
  t.equal(await w.app.sweeper.sweepOnce(), 0);
  t.equal(await w.jobState(fresh.id), 'unknown', 'no job added for a row the API is still enqueueing');

  const w2 = await testWorker(t, SWEEP);
  const queued = await w2.insert({ dueTime: overdue() });
  await enqueueSms(w2.app.queue, [queued.id]);
  const job = await w2.app.queue.getJob(jobIdFor(queued.id));
  t.equal(await w2.app.sweeper.sweepOnce(), 1, 'looked at');
  t.equal(
    (await w2.app.queue.getJob(jobIdFor(queued.id)))?.timestamp,
    job?.timestamp,
    'the waiting job is the same one',
  );
  t.equal(await metricValue(w2.app, 'sms_outbox_reenqueued_total'), 0);
});

t.test('a sending row whose lease ran out long ago (worker and job gone) is sent', async (t) => {
  const w = await testWorker(t, SWEEP);
  const message = await w.insert({ status: 'sending', leaseExpireTime: overdue(), dueTime: overdue() });
  t.equal(await w.app.sweeper.sweepOnce(), 1);
  w.app.start();
  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.attempts, 1);
  t.equal(smsLines(w, message.id).length, 1);
});

t.test('a queued row whose job already finished gets a new job', async (t) => {
  const w = await testWorker(t, SWEEP);
  const id = 'f'.repeat(32);
  // The job runs before its row exists (it fails: no row, nothing sent), then the row appears.
  await enqueueSms(w.app.queue, [id]);
  w.app.start();
  await w.waitForJob(id, 'failed');
  await w
    .insert({ dueTime: overdue() })
    .then((m) => w.app.prisma.smsMessage.update({ where: { id: m.id }, data: { id } }));

  t.equal(await w.app.sweeper.sweepOnce(), 1);
  const row = await w.waitRow(id, (r) => r.status === 'sent', 'sent');
  t.equal(row.attempts, 1);
  t.equal(smsLines(w, id).length, 1);
});

t.test('the sweeper runs on its own every OUTBOX_SWEEP_INTERVAL_MS and stops cleanly', async (t) => {
  const w = await testWorker(t, { ...SWEEP, OUTBOX_SWEEP_INTERVAL_MS: '100' });
  const message = await w.insert({ dueTime: overdue() });
  w.app.start();
  await w.waitRow(message.id, (r) => r.status === 'sent', 'sent by the running sweeper and worker');
  await w.app.sweeper.stop();
  t.pass('stopped');
});

t.test('finished rows (sent, failed), however old, are never enqueued again', async (t) => {
  const w = await testWorker(t, SWEEP);
  // As in production: due_time is when the row was written, long before now.
  const sent = await w.insert({ status: 'sent', dueTime: overdue() });
  const failed = await w.insert({ status: 'failed', dueTime: overdue() });
  t.equal(await w.app.sweeper.sweepOnce(), 0, 'nothing overdue');
  t.equal(await w.jobState(sent.id), 'unknown', 'no job for the sent row');
  t.equal(await w.jobState(failed.id), 'unknown', 'no job for the failed row');
  t.equal(await metricValue(w.app, 'sms_outbox_reenqueued_total'), 0);
});
