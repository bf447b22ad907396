// The processes of a run, each with its output in its own log file, and the
// clean-up that stops them and removes everything the run created.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SmsQueue } from '@sms/jobs';
import { SERVICE_ENV } from '../../scripts/node-options';
import {
  deleteRedisPrefix,
  dropDatabase,
  freePort,
  liveProcesses,
  startProcess,
  waitFor,
  waitForHttp,
  type Proc,
  type StartOptions,
} from '@sms/testing';
import {
  APP_SECRET,
  CONCURRENCY,
  DATABASE_URL,
  env,
  LOG_LEVEL,
  logDir,
  MESSAGES,
  PREFIX,
  profile,
  profileDir,
  REDIS_URL,
  runId,
  SERVICE_NODE_ARGS,
  SESSION_TTL_SECONDS,
} from './options';
import { API_BUNDLE, benchBundle, PRODUCTION_NODE_ARGS, type BenchEntry } from './compile';

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | null = null;

/** Runs `fn` at clean-up, after the processes have stopped (last registered, first run). */
export const atCleanup = (fn: () => Promise<unknown>) => cleanups.push(fn);

export function cleanup(keepLogs: boolean): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all(liveProcesses().map((p) => p.stop('SIGTERM', 5000)));
    for (const fn of cleanups.reverse()) await fn().catch((err: Error) => console.error(`cleanup: ${err.message}`));
    await dropDatabase(DATABASE_URL).catch((err: Error) => console.error(`cleanup: ${err.message}`));
    await deleteRedisPrefix({ REDIS_URL, REDIS_CLUSTER_TLS: false }, PREFIX).catch((err: Error) =>
      console.error(`cleanup: ${err.message}`),
    );
    if (keepLogs) console.error(`process logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  })();
  return cleaning;
}

/**
 * A process of the run, compiled JavaScript as production runs it (bench/lib/compile.ts):
 * its output in its own log file, killed if it takes over 15 s to stop.
 */
const start = (name: string, entry: string, options: Pick<StartOptions, 'env' | 'nodeArgs' | 'capture'>): Proc =>
  startProcess(name, entry, {
    ...options,
    nodeArgs: [...PRODUCTION_NODE_ARGS, ...(options.nodeArgs ?? [])],
    tsx: false,
    logFile: join(logDir, `${name}.log`),
    killAfterMs: 15_000,
  });

export function serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
  const inherited = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  return {
    ...SERVICE_ENV,
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
    SMS_MAX_PER_ACCOUNT_PER_HOUR: '1000000',
    SMS_MAX_PER_IP_PER_HOUR: '1000000',
    SMS_MAX_PER_COUNTRY_PER_HOUR: '100000000',
    SMS_GLOBAL_MAX_PER_MINUTE: '100000000',
    CODE_MAX_FAILED_PER_PHONE_PER_DAY: '1000000',
    SMS_ALLOWED_COUNTRIES: '*',
    CODE_MAX_ATTEMPTS: '100',
    SMS_SEND_RATE_PER_SECOND: '100000',
    WORKER_CONCURRENCY: String(CONCURRENCY),
    WORKER_METRICS_PORT: '0',
    // Replaced by the fake provider in bench/worker-main.ts; `log` needs no key.
    SMS_TRANSPORT: 'log',
    ...extra,
  };
}

// One folder per process.
const cpuProfArgs = (name: string) =>
  profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${runId}-${name}`)}`] : [];
const profileArgs = (name: string) => [...SERVICE_NODE_ARGS, ...cpuProfArgs(name)];

export async function startApi(): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const proc = start('api', API_BUNDLE, { env: serviceEnv({ PORT: String(port) }), nodeArgs: profileArgs('api') });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(proc, `${url}/health/ready`, 60_000, 'the API to be ready');
  return { proc, url };
}

export async function startWorker(
  name: string,
  latencyMs: number,
  queue: SmsQueue,
  extraEnv: Record<string, string> = {},
): Promise<Proc> {
  const before = await queue.getWorkersCount();
  const proc = start(name, benchBundle('worker-main'), {
    env: serviceEnv({ BENCH_PROVIDER_LATENCY_MS: String(latencyMs), ...extraEnv }),
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

/** A bench/ helper process that prints one JSON line when it is ready: the process and that line. */
async function startReporting(
  name: string,
  entry: BenchEntry,
  extraEnv: Record<string, string>,
  ready: (line: Record<string, unknown>) => boolean,
  nodeArgs: string[] = [],
): Promise<{ proc: Proc; line: Record<string, unknown> }> {
  const proc = start(name, benchBundle(entry), { env: serviceEnv(extraEnv), nodeArgs, capture: true });
  const line = await waitFor(
    () => {
      proc.assertRunning();
      return proc.lines.find(ready);
    },
    60_000,
    `${name} to be ready`,
  );
  return { proc, line };
}

const hasPort = (line: Record<string, unknown>) => typeof line.port === 'number';

/**
 * A bare Fastify server of bench/ that prints its port: the baseline (no I/O)
 * or a raw-driver anchor (profiled with --profile, to compare with the API's).
 */
export async function startServer(
  name: string,
  entry: BenchEntry,
  extraEnv: Record<string, string> = {},
): Promise<{ proc: Proc; url: string }> {
  const nodeArgs = name === 'baseline' ? [] : cpuProfArgs(name);
  const { proc, line } = await startReporting(name, entry, extraEnv, hasPort, nodeArgs);
  return { proc, url: `http://127.0.0.1:${line.port as number}` };
}

export async function startRawWorker(queueName: string, latencyMs: number): Promise<Proc> {
  const env = { BENCH_QUEUE: queueName, BENCH_JOBS: String(MESSAGES), BENCH_PROVIDER_LATENCY_MS: String(latencyMs) };
  const { proc } = await startReporting(`raw-${queueName}`, 'raw-worker', env, (m) => m.ready === true);
  return proc;
}
