// One row's measurement: the load (flat out or paced) after a warm-up, and
// who used the CPU meanwhile; and the waits and splits of the outbox rows.
import type { SmsQueue } from '@sms/jobs';
import { waitFor } from '@sms/testing';
import type { Pool } from 'mariadb';
import { cpuMeter, findProcess } from './cpu';
import { load, type LoadResult, type Scenario } from './http';
import { CONNECTIONS, DURATION, log, WARMUP } from './options';
import { paced } from './paced';
import { serviceCores } from './report';
import { percentile, type DrainResult } from './worker';

export type Measured = LoadResult & { cpu: Record<string, number> };
export type Drained = DrainResult & { cpu: Record<string, number> };

/** Which processes use the CPU during a row; filled in as processes start, null once they stop. */
export const pids: Record<string, number | null | undefined> = {
  bench: process.pid,
  mariadb: findProcess('mariadbd', 'mysqld'),
  redis: findProcess('redis-server'),
};

export const formatCpu = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .filter(([, v]) => v >= 0.005)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');

/** A row: autocannon as fast as it goes (after a warm-up), or a steady `rate` of requests per second. */
export async function measure(
  title: string,
  url: string,
  scenario: Scenario,
  rate?: number,
  afterWarmup?: () => Promise<void>,
): Promise<Measured> {
  if (rate) await paced(scenario, url, rate, WARMUP);
  else await load(scenario, { url, connections: CONNECTIONS, durationSeconds: WARMUP });
  await afterWarmup?.();
  const meter = cpuMeter(() => pids);
  const result = rate
    ? await paced(scenario, url, rate, DURATION)
    : await load(scenario, { url, connections: CONNECTIONS, durationSeconds: DURATION });
  const cpu = meter();
  log(
    `${title}: ${Math.round(result.rps)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, errors ${result.errors}` +
      (result.errors ? ` ${JSON.stringify(result.statuses)}` : '') +
      ` | cores ${formatCpu(cpu)} | ${((serviceCores(cpu) / result.rps) * 1000).toFixed(2)} CPU ms/req`,
  );
  return { ...result, cpu };
}

export async function waitForOutbox(pool: Pool, what: string): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await pool.query<{ n: bigint | number }[]>(
        "SELECT COUNT(*) AS n FROM sms_messages WHERE status NOT IN ('sent', 'failed')",
      );
      return Number(row!.n) === 0;
    },
    180_000,
    what,
    100,
  );
}

export interface Split {
  what: string;
  p50: number;
  p99: number;
}

/** Queued → sent of the messages created since `since`: p50, p99 and how many. */
export async function queuedToSent(pool: Pool, since: Date): Promise<{ p50: number; p99: number; n: number }> {
  const rows = await pool.query<{ ms: number | bigint }[]>(
    `SELECT TIMESTAMPDIFF(MICROSECOND, create_time, sent_time) / 1000 AS ms
     FROM sms_messages WHERE create_time >= ? AND status = 'sent'`,
    [since],
  );
  const delays = rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
  return { p50: percentile(delays, 50), p99: percentile(delays, 99), n: delays.length };
}

/**
 * Splits queued → sent of the messages created since `since` into its legs,
 * from the row's times and its BullMQ job's: the API (row time to job added:
 * COMMIT and enqueue), the queue (added to taken by the worker), the worker
 * (taken to the row marked sent).
 */
export async function queuedToSentSplit(pool: Pool, queue: SmsQueue, since: Date): Promise<Split[]> {
  const rows = await pool.query<{ id: string; created: number; sent: number }[]>(
    `SELECT id, UNIX_TIMESTAMP(create_time) * 1000 AS created, UNIX_TIMESTAMP(sent_time) * 1000 AS sent
     FROM sms_messages WHERE create_time >= ? AND status = 'sent'`,
    [since],
  );
  const jobs = await queue.getJobs(['completed'], 0, -1);
  const byMessage = new Map(jobs.map((j) => [j.data.messageId, j]));
  const legs: Record<string, number[]> = {
    'API (COMMIT, enqueue)': [],
    'queue wait': [],
    'worker (claim, send, mark sent)': [],
  };
  for (const row of rows) {
    const job = byMessage.get(row.id);
    if (!job?.processedOn) continue;
    legs['API (COMMIT, enqueue)']!.push(job.timestamp - Number(row.created));
    legs['queue wait']!.push(job.processedOn - job.timestamp);
    legs['worker (claim, send, mark sent)']!.push(Number(row.sent) - job.processedOn);
  }
  return Object.entries(legs).map(([what, values]) => {
    values.sort((a, b) => a - b);
    return { what, p50: Math.round(percentile(values, 50)), p99: Math.round(percentile(values, 99)) };
  });
}
