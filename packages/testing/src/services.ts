// The service's own processes as the end-to-end and fault tests run them: one
// database, Redis and queue prefix shared by every API and worker of a test.
import type { Config } from '@sms/config';
import type { Teardown } from './base';
import { freePort } from './ports';
import { startProcess, waitForHttp, type Proc } from './processes';
import { redisEnv } from './redis';

/** The processes' entries, relative to the repository's root. */
export const API_ENTRY = 'apps/api/src/server.ts';
export const WORKER_ENTRY = 'apps/worker/src/server.ts';

/** The variables both processes need to share one database, Redis and queue. */
export function serviceEnv(config: Config): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    DATABASE_URL: config.DATABASE_URL,
    ...redisEnv(config),
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    APP_SECRET: config.APP_SECRET,
    DATABASE_POOL_SIZE: '5',
  };
}

/** A worker process with the log transport and a quick outbox sweeper. */
export function startWorker(t: Teardown, config: Config, env: Record<string, string> = {}, name = 'worker'): Proc {
  return startProcess(name, WORKER_ENTRY, {
    teardown: t,
    env: {
      ...serviceEnv(config),
      SMS_TRANSPORT: 'log',
      WORKER_METRICS_PORT: '0',
      OUTBOX_SWEEP_INTERVAL_MS: '200',
      OUTBOX_SWEEP_AGE_MS: '500',
      SMS_BACKOFF_MS: '50',
      ...env,
    },
  });
}

/** Resolves with the worker's start line (it names the metrics port) once it consumes the queue. */
export const workerStarted = (worker: Proc) => worker.waitForLine((l) => l.msg === 'worker started', 30_000, 'start');

/** An API process on a free port; resolves once it answers. */
export async function startApi(
  t: Teardown,
  config: Config,
  env: Record<string, string> = {},
): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const proc = startProcess('api', API_ENTRY, {
    teardown: t,
    env: { ...serviceEnv(config), PORT: String(port), ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  // Seconds alone; on a machine loaded by other test runs, tsx's start alone can take 30 s.
  await waitForHttp(proc, `${url}/health/live`, 90_000, 'api to listen');
  return { proc, url };
}

/** The SMS lines a log-transport worker wrote (one per SMS handed to the transport). */
export const smsLines = (proc: Proc) => proc.lines.filter((l) => l.transport === 'log' && typeof l.to === 'string');
