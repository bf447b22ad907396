// Starting the real API and worker processes (node --import tsx …) for the
// end-to-end tests, with an explicit environment, their JSON log lines parsed.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '@sms/config';
import { freePort, waitFor, type Teardown } from '@sms/testing';
import type { LogLine } from './helpers';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const API_ENTRY = 'apps/api/src/server.ts';
export const WORKER_ENTRY = 'apps/worker/src/main.ts';

export interface Proc {
  name: string;
  child: ChildProcess;
  lines: LogLine[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(match: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export { freePort };

/** The variables both processes need to share one database, Redis and queue. */
export function baseEnv(config: Config): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    DATABASE_URL: config.DATABASE_URL,
    REDIS_URL: config.REDIS_URL,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    APP_SECRET: config.APP_SECRET,
    DATABASE_POOL_SIZE: '5',
  };
}

export function startNode(t: Teardown, name: string, entry: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      if (!part) continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ level: 0, msg: part });
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // Whatever happens in the test, no process outlives it.
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    name,
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine: async (match, timeoutMs = 20_000, what = 'log line') => {
      try {
        return (await waitFor(() => lines.find(match), timeoutMs, `${name}: ${what}`))!;
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- ${name} stderr:\n${stderr.slice(-2000)}`, { cause: err });
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function startWorker(t: Teardown, config: Config, env: Record<string, string> = {}, name = 'worker'): Proc {
  return startNode(t, name, WORKER_ENTRY, {
    ...baseEnv(config),
    SMS_TRANSPORT: 'log',
    WORKER_METRICS_PORT: '0',
    OUTBOX_SWEEP_INTERVAL_MS: '200',
    OUTBOX_SWEEP_AGE_MS: '500',
    SMS_BACKOFF_MS: '50',
    ...env,
  });
}

export async function startApi(t: Teardown, config: Config, env: Record<string, string> = {}) {
  const port = await freePort();
  const proc = startNode(t, 'api', API_ENTRY, { ...baseEnv(config), PORT: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`api exited: ${proc.stderr()}`);
        return fetch(`${url}/health/live`).then(
          (r) => r.ok,
          () => false,
        );
      },
      30_000,
      'api to listen',
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- api stderr:\n${proc.stderr().slice(-2000)}`, { cause: err });
  }
  return { proc, url };
}

/** The SMS lines a log-transport worker wrote (one per SMS handed to the transport). */
export const smsLines = (proc: Proc) => proc.lines.filter((l) => l.transport === 'log' && typeof l.to === 'string');
