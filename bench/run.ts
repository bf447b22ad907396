// `pnpm bench`: the real API and worker processes against the local MariaDB and
// Redis, in a scratch database and Redis prefix of their own, with fixed seed
// data; autocannon for the HTTP rows, 10,000-message backlogs for the worker
// rows, each beside its ceiling measured in the same run (bare Fastify, bare
// BullMQ). Prints one table and writes bench/results.md. Everything it creates
// (database, Redis keys, processes, logs) is removed at the end, failed or not.
//
//   pnpm bench                 the full run (about two and a half minutes)
//   pnpm bench --profile       the same, with --cpu-prof on the API and worker
//                              (profiles kept in bench/tmp/profiles)
//   pnpm bench --quick         3-second loads and 2,000-message backlogs (a smoke test)
//   pnpm bench --only=get,put  only these rows (baseline, get, put, verify, paced, worker);
//                              quick and partial runs leave bench/results.md alone
//
// Environment: DATABASE_URL / REDIS_URL name the servers (the database in the
// URL is not touched); WORKER_CONCURRENCY, DATABASE_POOL_SIZE and the other
// service variables pass through to the processes; BENCH_CONNECTIONS (50),
// BENCH_DURATION (10 s), BENCH_MESSAGES (10000), BENCH_LOG_LEVEL (warn),
// BENCH_KEEP_LOGS=1 (keep the processes' output; it is also kept after a failure),
// BENCH_NODE_ARGS (extra node options for the API and worker, e.g. heap limits).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createSmsQueue, type SmsQueue } from '@sms/jobs';
import { migrate, poolConfig } from '@sms/db';
import {
  API_ENTRY,
  deleteRedisPrefix,
  dropDatabase,
  freePort,
  liveProcesses,
  ROOT,
  startProcess,
  waitFor,
  waitForHttp,
  type Proc,
  type StartOptions,
} from '@sms/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import mariadb, { type Pool } from 'mariadb';
import { load, type LoadResult, type Scenario } from './lib/http';
import { paced } from './lib/paced';
import {
  cpuTableLines,
  serviceCores,
  tableLines,
  writeResults,
  type Report,
  type Row,
  type Target,
} from './lib/report';
import { cpuMeter, findProcess } from './lib/cpu';
import { GROUPS, phones, seed, SESSIONS_PER_USER, type Seeded } from './lib/seed';
import { drainBacklog, drainRaw, percentile, type DrainResult } from './lib/worker';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const profile = args.has('--profile');
const env = process.env;
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const DURATION = Number(env.BENCH_DURATION ?? (quick ? 3 : 10));
const WARMUP = quick ? 1 : 3;
const MESSAGES = Number(env.BENCH_MESSAGES ?? (quick ? 2000 : 10_000));
const PACED_RATE = 500;
const LATENCY_MS = 50;
const CONCURRENCY = Number(env.WORKER_CONCURRENCY ?? 50);
const LOG_LEVEL = env.BENCH_LOG_LEVEL ?? 'warn';
/** Extra node options for the API and worker processes (experiments: heap sizes, flags). */
const SERVICE_NODE_ARGS = (env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const SESSION_TTL_SECONDS = 86400;
const APP_SECRET = `bench-${randomBytes(24).toString('hex')}`;

const serverUrl = env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/sms_settings';
const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/sms_bench_${runId}`;
const DATABASE_URL = dbUrl.toString();
const PREFIX = `bench_${runId}`;
const logDir = mkdtempSync(join(os.tmpdir(), 'sms-bench-'));
const profileDir = join(ROOT, 'bench/tmp/profiles');

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

// ---------------------------------------------------------------- cleanup

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | null = null;
function cleanup(keepLogs: boolean): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all(liveProcesses().map((p) => p.stop('SIGTERM', 5000)));
    for (const fn of cleanups.reverse()) await fn().catch((err: Error) => console.error(`cleanup: ${err.message}`));
    await dropDatabase(DATABASE_URL).catch((err: Error) => console.error(`cleanup: ${err.message}`));
    await deleteRedisPrefix(REDIS_URL, PREFIX).catch((err: Error) => console.error(`cleanup: ${err.message}`));
    if (keepLogs) console.error(`process logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void cleanup(false).finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- processes

/** A process of the run: its output in its own log file, killed if it takes over 15 s to stop. */
const start = (name: string, entry: string, options: Pick<StartOptions, 'env' | 'nodeArgs' | 'capture'>): Proc =>
  startProcess(name, entry, { ...options, logFile: join(logDir, `${name}.log`), killAfterMs: 15_000 });

function serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
  const inherited = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  return {
    ...inherited,
    NODE_ENV: 'production',
    LOG_LEVEL,
    HOST: '127.0.0.1',
    DATABASE_URL,
    REDIS_URL,
    QUEUE_PREFIX: PREFIX,
    APP_SECRET,
    SESSION_TTL_SECONDS: String(SESSION_TTL_SECONDS),
    // Limits raised so that the load measures the work, not the 429s.
    IP_RATE_LIMIT_PER_MINUTE: '10000000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '1000000',
    CODE_MAX_ATTEMPTS: '100',
    SMS_MAX_PER_ACCOUNT_PER_HOUR: '1000000',
    SMS_MAX_PER_IP_PER_HOUR: '1000000',
    SMS_MAX_PER_COUNTRY_PER_HOUR: '100000000',
    SMS_GLOBAL_MAX_PER_MINUTE: '100000000',
    CODE_MAX_FAILED_PER_PHONE_PER_DAY: '1000000',
    SMS_ALLOWED_COUNTRIES: '*',
    SMS_SEND_RATE_PER_SECOND: '100000',
    WORKER_CONCURRENCY: String(CONCURRENCY),
    WORKER_METRICS_PORT: '0',
    // Replaced by the fake provider in bench/worker-main.ts; `log` needs no key.
    SMS_TRANSPORT: 'log',
    ...extra,
  };
}

// One folder per process: tsx's loader thread writes a profile of its own
// beside the main thread's (the larger file).
const profileArgs = (name: string) => [
  ...SERVICE_NODE_ARGS,
  ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${runId}-${name}`)}`] : []),
];

async function startApi(): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const proc = start('api', API_ENTRY, { env: serviceEnv({ PORT: String(port) }), nodeArgs: profileArgs('api') });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(proc, `${url}/health/ready`, 60_000, 'the API to be ready');
  return { proc, url };
}

async function startWorker(name: string, latencyMs: number, queue: SmsQueue): Promise<Proc> {
  const before = await queue.getWorkersCount();
  const proc = start(name, 'bench/worker-main.ts', {
    env: serviceEnv({ BENCH_PROVIDER_LATENCY_MS: String(latencyMs) }),
    nodeArgs: profileArgs(name),
  });
  await waitFor(
    async () => {
      proc.assertRunning();
      return (await queue.getWorkersCount()) > before;
    },
    60_000,
    `${name} to be ready`,
    100,
  );
  return proc;
}

async function startBaseline(): Promise<{ proc: Proc; url: string }> {
  const proc = start('baseline', 'bench/baseline-server.ts', { env: serviceEnv(), capture: true });
  const { port } = await waitFor(
    () => {
      proc.assertRunning();
      return proc.lines.find((m) => typeof m.port === 'number');
    },
    60_000,
    'the baseline server',
  );
  return { proc, url: `http://127.0.0.1:${port as number}` };
}

async function startRawWorker(queueName: string, latencyMs: number): Promise<Proc> {
  const proc = start(`raw-${queueName}`, 'bench/raw-worker.ts', {
    env: serviceEnv({
      BENCH_QUEUE: queueName,
      BENCH_JOBS: String(MESSAGES),
      BENCH_PROVIDER_LATENCY_MS: String(latencyMs),
    }),
    capture: true,
  });
  await waitFor(
    () => {
      proc.assertRunning();
      return proc.lines.some((m) => m.ready === true);
    },
    60_000,
    'the raw worker',
  );
  return proc;
}

// ---------------------------------------------------------------- facts about the machine

function versionOf(pkg: string, from: string): string {
  try {
    const dir = realpathSync(join(ROOT, from, 'node_modules', pkg));
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

async function machineFacts(pool: Pool, redis: Redis): Promise<string[]> {
  const cpus = os.cpus();
  const [db] = await pool.query<{ v: string; flush: string; pool: string }[]>(
    'SELECT VERSION() AS v, @@innodb_flush_log_at_trx_commit AS flush, @@innodb_buffer_pool_size AS pool',
  );
  const redisInfo = await redis.info('server');
  const redisVersion = redisInfo.match(/redis_version:(\S+)/)?.[1] ?? '?';
  return [
    `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}; ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory; ${os.type()} ${os.release()}`,
    `Node ${process.version}; MariaDB ${db!.v} (innodb_flush_log_at_trx_commit=${db!.flush}, buffer pool ${Math.round(Number(db!.pool) / 2 ** 20)} MiB); Redis ${redisVersion}`,
    `fastify ${versionOf('fastify', 'apps/api')}, @prisma/client ${versionOf('@prisma/client', 'packages/db')}, ` +
      `@prisma/adapter-mariadb ${versionOf('@prisma/adapter-mariadb', 'packages/db')}, mariadb ${versionOf('mariadb', 'packages/db')}, ` +
      `bullmq ${versionOf('bullmq', 'apps/worker')}, ioredis ${versionOf('ioredis', 'apps/worker')}, autocannon ${versionOf('autocannon', '.')}`,
    'API, worker, MariaDB, Redis and the load generator (autocannon, in the bench process) share the machine; ' +
      'the CPU table says how much of it other processes took during each row (well above 0: the figures are pessimistic).',
  ];
}

// ---------------------------------------------------------------- scenarios

function scenarios(data: Seeded) {
  const all = data.users;
  let getN = 0;
  let putN = 0;
  let verifyN = 0;
  // Knuth's multiplicative hash spreads consecutive requests over users and sessions.
  const pick = <T>(list: readonly T[], n: number) => list[(n * 2654435761) % list.length]!;

  const get: Scenario = {
    method: 'GET',
    next: () => {
      const user = pick(all, getN++);
      return { path: `/api/v1/sms_settings/${user.id}`, sessionId: user.sessions[getN % SESSIONS_PER_USER] };
    },
    expect: (status) => status === 200,
  };
  // Every PUT brings a phone the account never had: a new code and an SMS each time.
  const put: Scenario = {
    method: 'PUT',
    next: () => {
      const n = putN++;
      const user = data.putUsers[n % data.putUsers.length]!;
      return {
        path: `/api/v1/sms_settings/${user.id}`,
        sessionId: user.sessions[0],
        body: { phone: phones.put(n) },
      };
    },
    expect: (status) => status === 200,
  };
  // Round robin over the pending phones, so each gets the same share of the
  // CODE_MAX_ATTEMPTS (100) wrong guesses; never the seeded code.
  const verify: Scenario = {
    method: 'POST',
    next: () => {
      const n = verifyN++;
      const user = data.verifyUsers[n % data.verifyUsers.length]!;
      return {
        path: '/api/v1/sms_settings/verify',
        body: { phone: user.phone, code: String(100_000 + (n % 899_999)) },
      };
    },
    expect: (status, body) => status === 400 && body.includes('"INVALID_CODE"'),
  };
  return { get, put, verify };
}

/** Which processes use the CPU during a row; `pids` is filled in as processes start. */
const pids: Record<string, number | null | undefined> = {
  bench: process.pid,
  mariadb: findProcess('mariadbd', 'mysqld'),
  redis: findProcess('redis-server'),
};

/** A row: autocannon as fast as it goes (after a warm-up), or a steady `rate` of requests per second. */
async function measure(
  title: string,
  url: string,
  scenario: Scenario,
  rate?: number,
  afterWarmup?: () => Promise<void>,
) {
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

const formatCpu = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .filter(([, v]) => v >= 0.005)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');

async function waitForOutbox(pool: Pool, what: string): Promise<void> {
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

interface Split {
  what: string;
  p50: number;
  p99: number;
}

/**
 * Splits queued → sent of the messages created since `since` into its legs,
 * from the row's times and its BullMQ job's: the API (row time to job added:
 * COMMIT and enqueue), the queue (added to taken by the worker), the worker
 * (taken to the row marked sent).
 */
async function queuedToSentSplit(pool: Pool, queue: SmsQueue, since: Date): Promise<Split[]> {
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

// ---------------------------------------------------------------- the run

const PHASES = ['baseline', 'get', 'put', 'verify', 'paced', 'worker'] as const;
type Phase = (typeof PHASES)[number];
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = new Set((onlyArg ? onlyArg.slice('--only='.length).split(',') : PHASES) as Phase[]);
const partial = only.size < PHASES.length;
const runs = (phase: Phase) => only.has(phase);

type Measured = LoadResult & { cpu: Record<string, number> };
type Drained = DrainResult & { cpu: Record<string, number> };

async function main(): Promise<void> {
  const begin = Date.now();
  log(`scratch database ${dbUrl.pathname.slice(1)}, Redis prefix ${PREFIX}`);
  await migrate({ databaseUrl: DATABASE_URL });
  const pool = mariadb.createPool(poolConfig(DATABASE_URL, 4));
  cleanups.push(() => pool.end());
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  cleanups.push(() => redis.quit());
  const jobsConfig = { QUEUE_PREFIX: PREFIX, SMS_MAX_ATTEMPTS: 8, SMS_BACKOFF_MS: 2000 };
  const smsQueue = createSmsQueue(jobsConfig, redis);
  cleanups.push(() => smsQueue.close());
  const machine = await machineFacts(pool, redis);

  const data = await seed(pool, APP_SECRET, SESSION_TTL_SECONDS);
  log(`seeded ${data.users.length} accounts, ${data.users.length * SESSIONS_PER_USER} sessions`);

  const needApi = ['get', 'put', 'verify', 'paced'].some((p) => runs(p as Phase));
  const baseline = runs('baseline') ? await startBaseline() : null;
  const api = needApi ? await startApi() : null;
  let worker = await startWorker('worker', 0, smsQueue);
  const workers: Proc[] = [worker];
  Object.assign(pids, { baseline: baseline?.proc.child.pid, api: api?.proc.child.pid, worker: worker.child.pid });
  log('processes are up');

  // --- API
  const s = scenarios(data);
  let base: Measured | undefined;
  let get: Measured | undefined;
  let put: Measured | undefined;
  let verify: Measured | undefined;
  let paced: (Measured & { sent: { p50: number; p99: number; n: number } }) | undefined;
  let pacedSplit: Split[] = [];
  if (baseline) {
    base = await measure('baseline (bare Fastify)', baseline.url, s.get);
    await baseline.proc.stop();
    pids.baseline = null;
  }
  if (api) {
    if (runs('get')) get = await measure('GET /sms_settings/:user_id', api.url, s.get);
    if (runs('put')) {
      put = await measure('PUT /sms_settings/:user_id', api.url, s.put);
      await waitForOutbox(pool, 'the SMS of the PUT run to be sent');
    }
    if (runs('verify')) verify = await measure('POST /sms_settings/verify (wrong code)', api.url, s.verify);
    if (runs('paced')) {
      // queued → sent at a steady 500 SMS/s, end to end through the API.
      let t0 = new Date();
      const result = await measure(`PUT at ${PACED_RATE}/s`, api.url, s.put, PACED_RATE, async () => {
        await waitForOutbox(pool, 'the SMS of the warm-up to be sent');
        [{ t0 }] = (await pool.query<{ t0: Date }[]>('SELECT NOW(3) AS t0')) as [{ t0: Date }];
      });
      await waitForOutbox(pool, 'the SMS of the paced run to be sent');
      const rows = await pool.query<{ ms: number | bigint }[]>(
        `SELECT TIMESTAMPDIFF(MICROSECOND, create_time, sent_time) / 1000 AS ms
         FROM sms_messages WHERE create_time >= ? AND status = 'sent'`,
        [t0],
      );
      const delays = rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
      const sent = { p50: percentile(delays, 50), p99: percentile(delays, 99), n: delays.length };
      log(`queued → sent at ${PACED_RATE}/s: p50 ${sent.p50} ms, p99 ${sent.p99} ms (${sent.n} SMS)`);
      pacedSplit = await queuedToSentSplit(pool, smsQueue, t0);
      log(`  where the time goes: ${pacedSplit.map((p) => `${p.what} p50 ${p.p50} / p99 ${p.p99} ms`).join('; ')}`);
      paced = { ...result, sent };
    }
    await api.proc.stop();
    pids.api = null;
  }

  // --- worker backlogs, each beside a bare BullMQ worker at the same concurrency
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

  let rawInstant: Drained | undefined;
  let instant: Drained | undefined;
  let slow: Drained | undefined;
  let rawSlow: Drained | undefined;
  if (runs('worker')) {
    rawInstant = await rawRun(0);
    instant = await realRun('ffffffa0', 0);
    await worker.stop();
    worker = await startWorker('worker-50ms', LATENCY_MS, smsQueue);
    workers.push(worker);
    pids.worker = worker.child.pid;
    slow = await realRun('ffffffb0', LATENCY_MS);
    rawSlow = await rawRun(LATENCY_MS);
  }
  await worker.stop();
  pids.worker = null;

  const memory = [
    ...(api ? [{ name: 'API', peakMb: api.proc.peakRss() / 2 ** 20 }] : []),
    { name: 'worker', peakMb: Math.max(...workers.map((w) => w.peakRss())) / 2 ** 20 },
    ...(baseline ? [{ name: 'baseline server', peakMb: baseline.proc.peakRss() / 2 ** 20 }] : []),
  ];

  // --- report
  const apiRow = (name: string, r: Measured, withRatio = true): Row => ({
    name,
    rate: r.rps,
    unit: 'req/s',
    p50: r.p50,
    p99: r.p99,
    errors: r.errors,
    ratio: withRatio && base ? r.rps / base.rps : null,
    ratioTo: 'baseline',
    cpu: r.cpu,
  });
  const workerRow = (name: string, r: Drained, ref: DrainResult | undefined, refName: string): Row => ({
    name,
    rate: r.perSecond,
    unit: 'msg/s',
    p50: r === rawInstant || r === rawSlow ? null : r.p50,
    p99: r === rawInstant || r === rawSlow ? null : r.p99,
    errors: r.failed,
    ratio: ref ? r.perSecond / ref.perSecond : null,
    ratioTo: refName,
    cpu: r.cpu,
  });
  const ceiling = CONCURRENCY / (LATENCY_MS / 1000);
  const rows: Row[] = [];
  if (base) rows.push(apiRow('baseline: bare Fastify, same JSON, no I/O', base));
  if (get) rows.push(apiRow('GET /sms_settings/:user_id (session + settings)', get));
  if (put) rows.push(apiRow('PUT /sms_settings/:user_id (new phone, SMS queued)', put));
  if (verify) rows.push(apiRow('POST /sms_settings/verify (wrong code)', verify));
  if (paced) {
    rows.push({
      ...apiRow(`PUT at a fixed ${PACED_RATE}/s; p50/p99 = SMS queued → sent`, paced, false),
      p50: paced.sent.p50,
      p99: paced.sent.p99,
    });
  }
  if (rawInstant && instant && slow && rawSlow) {
    rows.push(
      workerRow(`bare BullMQ worker, no-op, concurrency ${CONCURRENCY}`, rawInstant, undefined, ''),
      workerRow(`worker, instant provider, ${MESSAGES} msgs`, instant, rawInstant, 'bare BullMQ'),
      workerRow(`bare BullMQ worker, 50 ms sleep, concurrency ${CONCURRENCY}`, rawSlow, undefined, ''),
      {
        ...workerRow(`worker, 50 ms provider, ${MESSAGES} msgs`, slow, undefined, ''),
        ratio: slow.perSecond / ceiling,
        ratioTo: `C / 50 ms = ${ceiling}`,
      },
    );
  }

  const ms = (n: number) => `${Math.round(n * 10) / 10} ms`;
  const targets: Target[] = [];
  if (get && base) {
    targets.push({
      what: 'authenticated GET',
      goal: '≥ 35 % of baseline, p99 ≤ 50 ms',
      measured: `${((get.rps / base.rps) * 100).toFixed(1)} % (${Math.round(get.rps)} req/s), p99 ${ms(get.p99)}`,
      met: get.rps / base.rps >= 0.35 && get.p99 <= 50,
    });
  }
  if (put) {
    targets.push({
      what: 'PUT, new phone',
      goal: '≥ 1,000 req/s, p99 ≤ 100 ms',
      measured: `${Math.round(put.rps)} req/s, p99 ${ms(put.p99)}`,
      met: put.rps >= 1000 && put.p99 <= 100,
    });
  }
  if (verify) {
    targets.push({
      what: 'verify, wrong code',
      goal: '≥ 2,000 req/s',
      measured: `${Math.round(verify.rps)} req/s`,
      met: verify.rps >= 2000,
    });
  }
  if (instant && slow) {
    targets.push(
      {
        what: 'worker, instant provider',
        goal: '≥ 2,000 msg/s',
        measured: `${Math.round(instant.perSecond)} msg/s`,
        met: instant.perSecond >= 2000,
      },
      {
        what: `worker, 50 ms provider, C = ${CONCURRENCY}`,
        goal: `≥ 90 % of ${ceiling} msg/s`,
        measured: `${Math.round(slow.perSecond)} msg/s (${((slow.perSecond / ceiling) * 100).toFixed(1)} %)`,
        met: slow.perSecond >= 0.9 * ceiling,
      },
    );
  }
  if (paced) {
    targets.push({
      what: `queued → sent at ${PACED_RATE} msg/s`,
      goal: 'p99 ≤ 100 ms',
      measured: `p99 ${ms(paced.sent.p99)} (${Math.round(paced.rps)} PUT/s achieved)`,
      met: paced.sent.p99 <= 100 && paced.rps >= PACED_RATE * 0.95,
    });
  }
  for (const m of memory.filter((x) => x.name !== 'baseline server')) {
    targets.push({
      what: `peak RSS, ${m.name}`,
      goal: '≤ 200 MB',
      measured: `${Math.round(m.peakMb)} MB`,
      met: m.peakMb <= 200,
    });
  }

  const errors = rows.reduce((sum, r) => sum + r.errors, 0);
  const report: Report = {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    wallSeconds: (Date.now() - begin) / 1000,
    machine,
    settings: [
      `${CONNECTIONS} connections; ${WARMUP} s warm-up (discarded) then ${DURATION} s per HTTP row; ` +
        `backlogs of ${MESSAGES} messages released at once (the queue is paused while they are written)`,
      `seed: ${data.users.length} accounts (${GROUPS.put} PUT targets, ${GROUPS.verify} with a pending code, ` +
        `${GROUPS.verified} verified), ${SESSIONS_PER_USER} sessions each; GET spreads over all accounts and sessions`,
      `NODE_ENV=production, LOG_LEVEL=${LOG_LEVEL}, IP_RATE_LIMIT_PER_MINUTE=10000000, SMS_RESEND_COOLDOWN_SECONDS=0, ` +
        'SMS_MAX_PER_PHONE_PER_HOUR=1000000, CODE_MAX_ATTEMPTS=100, SMS_SEND_RATE_PER_SECOND=100000, ' +
        'the per-account, per-IP, per-country, global and per-phone-failure budgets raised likewise, ' +
        `WORKER_CONCURRENCY=${CONCURRENCY}, DATABASE_POOL_SIZE=${env.DATABASE_POOL_SIZE ?? 'default'}`,
      'the worker is the real process (apps/worker runWorker) with a fake provider (bench/worker-main.ts); ' +
        'it runs during the HTTP rows too, sending the SMS the PUTs queue',
      'backlog rows: p50/p99 are the time from the release of the backlog to `sent` (sms_messages.sent_time)',
      'errors: connection errors, timeouts and any unexpected answer (GET/PUT: not 200; verify: not 400 ' +
        'INVALID_CODE); worker rows: messages not `sent`',
      ...(profile
        ? [`CPU profiles: bench/tmp/profiles/${runId}-*/ (the largest file of each folder is the main thread)`]
        : []),
    ],
    rows,
    memory,
    details: pacedSplit.length
      ? [
          `Queued → sent at a steady ${PACED_RATE}/s, by leg (p50 / p99): ` +
            pacedSplit.map((p) => `${p.what} ${p.p50} / ${p.p99} ms`).join('; ') +
            '.',
        ]
      : [],
    targets,
    notes: errors ? [`**${errors} errors in this run** — the figures are not valid.`] : [],
  };
  writeFileSync(join(ROOT, 'bench/tmp/last.json'), JSON.stringify(report, null, 2));
  const writes = !quick && !partial;
  if (writes) writeResults(join(ROOT, 'bench/results.md'), report);

  console.log('');
  console.log(machine.map((m) => `  ${m}`).join('\n'));
  console.log('');
  console.log(tableLines(rows).join('\n'));
  console.log('');
  console.log(cpuTableLines(rows).join('\n'));
  console.log(`\nPeak RSS: ${memory.map((m) => `${m.name} ${Math.round(m.peakMb)} MB`).join(', ')}`);
  for (const line of report.details) console.log(line);
  console.log('');
  for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.what}: ${t.measured} (goal ${t.goal})`);
  console.log(
    `\n${writes ? 'written to bench/results.md' : 'partial or quick run: bench/results.md left as it was'} ` +
      `(${report.wallSeconds.toFixed(0)} s)`,
  );
  if (errors) throw new Error(`${errors} errors during the run`);
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
