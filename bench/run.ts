// `pnpm bench`: the real API and worker processes against the local MariaDB and
// Redis, in a scratch database and Redis prefix of their own, with fixed seed
// data; autocannon for the HTTP rows, 10,000-message backlogs for the worker
// rows, each beside its ceiling measured in the same run (bare Fastify; the
// raw-driver anchors, bench/anchor-server.ts; bare BullMQ). Prints one table
// and writes bench/results.md. Everything it creates (database, Redis keys,
// processes, logs) is removed at the end, failed or not.
//
//   pnpm bench                 the full run (about three minutes)
//   pnpm bench --profile       the same, with --cpu-prof on the API, worker and anchors
//                              (profiles kept in bench/tmp/profiles)
//   pnpm bench --quick         3-second loads and 2,000-message backlogs (a smoke test)
//   pnpm bench --only=get,put  only these rows (baseline, get, put, verify, paced, worker;
//                              get and put bring their anchors);
//                              quick and partial runs leave bench/results.md alone
//
// Environment: DATABASE_URL / REDIS_URL name the servers (the database in the
// URL is not touched); WORKER_CONCURRENCY, DATABASE_POOL_SIZE and the other
// service variables pass through to the processes; BENCH_CONNECTIONS (50),
// BENCH_DURATION (10 s), BENCH_MESSAGES (10000), BENCH_LOG_LEVEL (warn),
// BENCH_KEEP_LOGS=1 (keep the processes' output; it is also kept after a failure),
// BENCH_NODE_ARGS (extra node options for the API and worker, e.g. heap limits).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSmsQueue, createWorkerRedis, queuePrefix, SMS_QUEUE, type SmsQueue } from '@sms/jobs';
import { migrate, poolConfig } from '@sms/db';
import { privateRedisCluster, ROOT, type Proc } from '@sms/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import mariadb, { type Pool } from 'mariadb';
import { ANCHORS, seedAnchorTables, type Anchor } from './lib/anchors';
import { compileProcesses, type BenchEntry } from './lib/compile';
import { cpuMeter } from './lib/cpu';
import type { Scenario } from './lib/http';
import { machineFacts } from './lib/machine';
import {
  formatCpu,
  measure,
  pids,
  queuedToSent,
  queuedToSentSplit,
  waitForOutbox,
  type Drained,
  type Measured,
} from './lib/measure';
import {
  APP_SECRET,
  DATABASE_NAME,
  DATABASE_URL,
  env,
  LATENCY_MS,
  log,
  MESSAGES,
  PACED_RATE,
  PREFIX,
  profile,
  profileDir,
  REDIS_URL,
  runs,
  SESSION_TTL_SECONDS,
} from './lib/options';
import { scenarios } from './lib/scenarios';
import { seed, SESSIONS_PER_USER } from './lib/seed';
import { signUpsAndIns } from './lib/sign-ups';
import { atCleanup, cleanup, startApi, startRawWorker, startServer, startWorker } from './lib/services';
import { summarise, type Results } from './lib/summary';
import { drainBacklog, drainRaw } from './lib/worker';

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void cleanup(false).finally(() => process.exit(130));
  });
}

const mb = (proc: Proc) => proc.peakRss() / 2 ** 20;

/** A row measured on a server of its own (the baseline, an anchor), stopped after it; its peak RSS is noted. */
async function onOwnServer(
  r: Results,
  name: string,
  entry: BenchEntry,
  title: string,
  scenario: Scenario,
  extraEnv: Record<string, string> = {},
): Promise<Measured> {
  const server = await startServer(name, entry, extraEnv);
  const key = name === 'baseline' ? 'baseline' : 'anchor';
  pids[key] = server.proc.child.pid;
  try {
    return await measure(title, server.url, scenario);
  } finally {
    await server.proc.stop();
    pids[key] = null;
    r.memory.push({ name: name === 'baseline' ? 'baseline server' : name, peakMb: mb(server.proc) });
  }
}

const anchorRow = (r: Results, anchor: Anchor, scenario: Scenario) =>
  onOwnServer(r, `anchor-${anchor}`, 'anchor-server', `anchor: ${ANCHORS[anchor]}`, scenario, {
    BENCH_ANCHOR: anchor,
  });

/** The HTTP rows: each API row right after its anchors, in the same run. */
async function httpRows(r: Results, pool: Pool, smsQueue: SmsQueue, s: ReturnType<typeof scenarios>): Promise<void> {
  if (runs('baseline')) r.base = await onOwnServer(r, 'baseline', 'baseline-server', 'baseline', s.get);
  if (!['get', 'put', 'verify', 'paced'].some((p) => runs(p as 'get'))) return;
  if (runs('get')) {
    r.anchors['get-join'] = await anchorRow(r, 'get-join', s.get);
    r.anchors['get-two'] = await anchorRow(r, 'get-two', s.get);
  }
  if (runs('put')) r.anchors.put = await anchorRow(r, 'put', s.put);
  const api = await startApi();
  pids.api = api.proc.child.pid;
  await signUpsAndIns(api.url);
  if (runs('get')) r.get = await measure('GET /sms_settings/:user_id', api.url, s.get);
  if (runs('put')) {
    // The same work as the PUT anchor, whose queue no worker drains: the queue
    // is paused during the row (the worker's claims and updates would take a
    // share of the two cores and of MariaDB from the requests measured), and
    // the SMS go out after it. The paced row below measures them end to end.
    await smsQueue.pause();
    try {
      r.put = await measure('PUT /sms_settings/:user_id', api.url, s.put);
    } finally {
      await smsQueue.resume();
    }
    await waitForOutbox(pool, 'the SMS of the PUT run to be sent');
  }
  if (runs('verify')) r.verify = await measure('POST /sms_settings/verify (wrong code)', api.url, s.verify);
  if (runs('paced')) {
    // queued → sent at a steady 500 SMS/s, end to end through the API.
    let t0 = new Date();
    const result = await measure(`PUT at ${PACED_RATE}/s`, api.url, s.put, PACED_RATE, async () => {
      await waitForOutbox(pool, 'the SMS of the warm-up to be sent');
      [{ t0 }] = (await pool.query<{ t0: Date }[]>('SELECT NOW(3) AS t0')) as [{ t0: Date }];
    });
    await waitForOutbox(pool, 'the SMS of the paced run to be sent');
    const sent = await queuedToSent(pool, t0);
    log(`queued → sent at ${PACED_RATE}/s: p50 ${sent.p50} ms, p99 ${sent.p99} ms (${sent.n} SMS)`);
    r.pacedSplit = await queuedToSentSplit(pool, smsQueue, t0);
    log(`  where the time goes: ${r.pacedSplit.map((p) => `${p.what} p50 ${p.p50} / p99 ${p.p99} ms`).join('; ')}`);
    r.paced = { ...result, sent };
  }
  await api.proc.stop();
  pids.api = null;
  r.memory.push({ name: 'API', peakMb: mb(api.proc) });
}

/** The worker backlogs, each beside a bare BullMQ worker at the same concurrency. */
async function workerRows(r: Results, pool: Pool, redis: Redis, smsQueue: SmsQueue, first: Proc): Promise<Proc[]> {
  const rawRun = async (latencyMs: number): Promise<Drained> => {
    const queueName = `raw${latencyMs}`;
    const raw = await startRawWorker(queueName, latencyMs);
    pids.raw = raw.child.pid;
    const queue = new Queue(queueName, {
      connection: redis,
      prefix: PREFIX,
      defaultJobOptions: smsQueue.defaultJobOptions,
    });
    try {
      const meter = cpuMeter(() => pids);
      const result = await drainRaw(raw, queue, MESSAGES, 120_000);
      const cpu = meter();
      log(`bare BullMQ, provider ${latencyMs} ms: ${Math.round(result.perSecond)} jobs/s | cores ${formatCpu(cpu)}`);
      return { ...result, cpu };
    } finally {
      await queue.close();
      await raw.stop();
      pids.raw = null;
    }
  };
  const realRun = async (tag: string, latencyMs: number): Promise<Drained> => {
    const meter = cpuMeter(() => pids);
    const result = await drainBacklog(pool, smsQueue, tag, MESSAGES, 180_000);
    const cpu = meter();
    log(
      `worker, provider ${latencyMs} ms: ${Math.round(result.perSecond)} msg/s, ` +
        `p50 ${result.p50} ms, p99 ${result.p99} ms, failed ${result.failed} | cores ${formatCpu(cpu)}`,
    );
    return { ...result, cpu };
  };

  r.rawInstant = await rawRun(0);
  r.instant = await realRun('ffffffa0', 0);
  await first.stop();
  const slowWorker = await startWorker('worker-50ms', LATENCY_MS, smsQueue);
  pids.worker = slowWorker.child.pid;
  r.slow = await realRun('ffffffb0', LATENCY_MS);
  r.rawSlow = await rawRun(LATENCY_MS);
  return [first, slowWorker];
}

/**
 * The same backlog through the real worker on a Redis Cluster of the run's own
 * (3 masters, 3 replicas on loopback, bench/… via @sms/testing), beside the
 * single-server worker row. Redis CPU is the master of the queue's slot's.
 */
async function clusterRow(r: Results, pool: Pool): Promise<void> {
  const cluster = await privateRedisCluster({ teardown: (fn) => atCleanup(async () => fn()) });
  const env = { REDIS_CLUSTER_NODES: cluster.seeds };
  const connection = createWorkerRedis({ REDIS_URL, REDIS_CLUSTER_TLS: false, ...env });
  atCleanup(async () => connection.disconnect());
  const config = { QUEUE_PREFIX: PREFIX, SMS_MAX_ATTEMPTS: 8, SMS_BACKOFF_MS: 2000 };
  const queue = createSmsQueue(config, connection);
  atCleanup(() => queue.close());
  const worker = await startWorker('worker-cluster', 0, queue, env);
  const singleRedis = pids.redis;
  pids.worker = worker.child.pid;
  pids.redis = cluster.pid(await cluster.masterOf(`${queuePrefix(config)}:${SMS_QUEUE}:meta`));
  try {
    const meter = cpuMeter(() => pids);
    const result = await drainBacklog(pool, queue, 'ffffffc0', MESSAGES, 180_000);
    r.cluster = { ...result, cpu: meter() };
    log(`worker on a Redis Cluster: ${Math.round(result.perSecond)} msg/s | cores ${formatCpu(r.cluster.cpu)}`);
  } finally {
    await worker.stop();
    pids.worker = null;
    pids.redis = singleRedis;
    r.memory.push({ name: 'worker on the cluster', peakMb: mb(worker) });
  }
}

async function main(): Promise<void> {
  const begin = Date.now();
  await compileProcesses();
  log(`scratch database ${DATABASE_NAME}, Redis prefix ${PREFIX}`);
  await migrate({ databaseUrl: DATABASE_URL });
  const pool = mariadb.createPool(poolConfig(DATABASE_URL, 4));
  atCleanup(() => pool.end());
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  atCleanup(() => redis.quit());
  const smsQueue = createSmsQueue({ QUEUE_PREFIX: PREFIX, SMS_MAX_ATTEMPTS: 8, SMS_BACKOFF_MS: 2000 }, redis);
  atCleanup(() => smsQueue.close());
  const machine = await machineFacts(pool, redis);

  const data = await seed(pool, APP_SECRET, SESSION_TTL_SECONDS);
  await seedAnchorTables(pool);
  log(
    `seeded ${data.users.length} accounts, ${data.users.length * SESSIONS_PER_USER} sessions (and the anchors' copy)`,
  );

  const r: Results = { begin, machine, accounts: data.users.length, anchors: {}, pacedSplit: [], memory: [] };
  const worker = await startWorker('worker', 0, smsQueue);
  pids.worker = worker.child.pid;
  log('the worker is up');

  await httpRows(r, pool, smsQueue, scenarios(data));
  const workers = runs('worker') ? await workerRows(r, pool, redis, smsQueue, worker) : [worker];
  if (runs('cluster')) await clusterRow(r, pool);
  await workers.at(-1)!.stop();
  pids.worker = null;
  r.memory.push({ name: 'worker', peakMb: Math.max(...workers.map(mb)) });
  summarise(r);
}

mkdirSync(join(ROOT, 'bench/tmp'), { recursive: true });
if (profile) mkdirSync(profileDir, { recursive: true });
try {
  await main();
  await cleanup(Boolean(env.BENCH_KEEP_LOGS));
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  await cleanup(true);
  process.exitCode = 1;
}
