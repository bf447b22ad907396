// Worker throughput: a backlog of N messages released at once (the queue is
// paused while rows and jobs are written, then resumed) and timed until the
// last row is `sent`; the same N jobs through a bare BullMQ worker for the
// ceiling.
import { randomBytes } from 'node:crypto';
import { enqueueSms, type SmsQueue } from '@sms/jobs';
import type { Queue } from 'bullmq';
import type { Pool } from 'mariadb';
import { waitFor, type Proc } from '@sms/testing';
import { phones } from './seed';

export interface DrainResult {
  messages: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

const CHUNK = 1000;

/**
 * `count` queued rows with ids starting with `tag` (8 hex digits, so that no
 * id the API made in the same run shares it), their
 * jobs added while the queue is paused; resolves with the time of resume once
 * every row is final.
 */
export async function drainBacklog(
  pool: Pool,
  queue: SmsQueue,
  tag: string,
  count: number,
  timeoutMs: number,
): Promise<DrainResult> {
  const ids = Array.from({ length: count }, () => tag + randomBytes(12).toString('hex'));
  await queue.pause();
  for (let i = 0; i < count; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    await pool.batch(
      'INSERT INTO sms_messages (id, recipient, body) VALUES (?, ?, ?)',
      chunk.map((id, k) => [id, phones.backlog(i + k), `Your verification code is ${String(i + k).slice(-6)}`]),
    );
    await enqueueSms(queue, chunk);
  }
  const started = Date.now();
  await queue.resume();

  const like = `${tag}%`;
  try {
    // Is any row of the backlog still to be sent? The scan stops at the first
    // one (a COUNT(*) read the whole backlog, every 50 ms, on the MariaDB the
    // worker under test shares). The rate comes from the rows' sent_time, not
    // from when this notices the end, so it can look seldom.
    await waitFor(
      async () =>
        (
          await pool.query<unknown[]>(
            "SELECT 1 FROM sms_messages WHERE id LIKE ? AND status NOT IN ('sent', 'failed') LIMIT 1",
            [like],
          )
        ).length === 0,
      timeoutMs,
      `${count} messages to be sent`,
      250,
    );
  } catch (err) {
    const rows = await pool.query('SELECT status, COUNT(*) AS n FROM sms_messages WHERE id LIKE ? GROUP BY status', [
      like,
    ]);
    const jobs = await queue.getJobCounts();
    throw new Error(
      `${(err as Error).message}; rows ${JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? Number(v) : v))}; jobs ${JSON.stringify(jobs)}; paused ${await queue.isPaused()}`,
      { cause: err },
    );
  }
  const rows = await pool.query<{ sent: Date | null; status: string }[]>(
    'SELECT sent_time AS sent, status FROM sms_messages WHERE id LIKE ?',
    [like],
  );
  const delays = rows
    .filter((r) => r.status === 'sent' && r.sent)
    .map((r) => r.sent!.getTime() - started)
    .sort((a, b) => a - b);
  const last = delays.at(-1) ?? 0;
  return {
    messages: count,
    seconds: last / 1000,
    perSecond: last > 0 ? delays.length / (last / 1000) : 0,
    p50: percentile(delays, 50),
    p99: percentile(delays, 99),
    failed: rows.length - delays.length,
  };
}

/** The same backlog through the bare BullMQ worker `raw` (bench/raw-worker.ts), which reports its last completion. */
export async function drainRaw(raw: Proc, queue: Queue, count: number, timeoutMs: number): Promise<DrainResult> {
  await queue.pause();
  for (let i = 0; i < count; i += CHUNK) {
    await queue.addBulk(
      Array.from({ length: Math.min(CHUNK, count - i) }, (_, k) => ({
        name: 'send',
        data: { messageId: randomBytes(16).toString('hex') },
        opts: { jobId: `sms-raw-${i + k}-${randomBytes(4).toString('hex')}` },
      })),
    );
  }
  const started = Date.now();
  await queue.resume();
  const done = await waitFor(
    () => raw.lines.find((m) => typeof m.done === 'number') as { done: number } | undefined,
    timeoutMs,
    'the raw worker to finish',
    20,
  );
  const seconds = (done.done - started) / 1000;
  return { messages: count, seconds, perSecond: count / seconds, p50: 0, p99: 0, failed: 0 };
}
