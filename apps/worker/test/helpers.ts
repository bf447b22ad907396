// Shared by the worker's tests: a worker app on a database and queue prefix of
// the test's own, logs captured as JSON objects, rows made directly.
import { randomBytes } from 'node:crypto';
import type { Config } from '@sms/config';
import type { SmsMessage } from '@sms/db';
import { enqueueSms, jobIdFor } from '@sms/jobs';
import { createTestConfig, logSink, waitFor, type LogLine, type Teardown } from '@sms/testing';
import { pino, type Logger } from 'pino';
import { createWorkerApp, type WorkerApp } from '../src/app';
import type { Transport } from '../src/sms';

/** A pino logger whose lines land in `lines`, parsed. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: LogLine[] } {
  const { stream, lines } = logSink();
  return { logger: pino({ level }, stream), lines };
}

/** Defaults for processor tests: MessageBird (faked with nock), fast retries, one job at a time. */
export const FAST: Record<string, string> = {
  SMS_TRANSPORT: 'messagebird',
  MESSAGEBIRD_ACCESS_KEY: 'test_key',
  MESSAGEBIRD_TIMEOUT_MS: '300',
  SMS_MAX_ATTEMPTS: '3',
  SMS_BACKOFF_MS: '10',
  SMS_RATE_LIMIT_MS: '150',
  WORKER_CONCURRENCY: '1',
  WORKER_METRICS_PORT: '0',
};

export interface TestWorker {
  config: Config;
  app: WorkerApp;
  lines: LogLine[];
  /** Inserts a queued row (as the API does) and returns it. */
  insert(
    data?: Partial<Pick<SmsMessage, 'recipient' | 'body' | 'dueTime' | 'status' | 'leaseExpireTime'>>,
  ): Promise<SmsMessage>;
  enqueue(...ids: string[]): Promise<void>;
  row(id: string): Promise<SmsMessage>;
  /** Polls the row until `done(row)`; returns it. */
  waitRow(id: string, done: (row: SmsMessage) => boolean, what: string, timeoutMs?: number): Promise<SmsMessage>;
  jobState(id: string): Promise<string>;
  /** Polls the job until it is in `state`; returns the state. */
  waitForJob(id: string, state: string, timeoutMs?: number): Promise<string>;
}

export const newMessageId = () => randomBytes(16).toString('hex');

/**
 * A worker app (not yet started) on its own database and queue prefix; closed
 * at teardown before the database is dropped (teardowns run last-in first-out).
 */
export async function testWorker(
  t: Teardown,
  overrides: Record<string, string> = {},
  options: { transport?: Transport } = {},
): Promise<TestWorker> {
  const config = await createTestConfig(t, { ...FAST, ...overrides });
  const { logger, lines } = captureLogger();
  const app = createWorkerApp(config, { logger, transport: options.transport });
  t.teardown(() => app.close());
  const row = (id: string) => app.prisma.smsMessage.findUniqueOrThrow({ where: { id } });
  // Prisma compiles a query shape on its first use, holding the event loop
  // (tenths of a second on a busy machine): the test's own polling query is
  // compiled here, not while a job's provider call waits on a 300 ms timeout.
  await row('').catch(() => {});
  return {
    config,
    app,
    lines,
    insert: (data = {}) =>
      app.prisma.smsMessage.create({
        data: { id: newMessageId(), recipient: '+380508308443', body: 'Your verification code is 123456', ...data },
      }),
    enqueue: (...ids) => enqueueSms(app.queue, ids),
    row,
    waitRow: async (id, done, what, timeoutMs = 10_000) => {
      let last: SmsMessage | undefined;
      try {
        await waitFor(async () => done((last = await row(id))), timeoutMs, what);
      } catch (err) {
        throw new Error(`${(err as Error).message}; last row: ${JSON.stringify(last)}`, { cause: err });
      }
      return last!;
    },
    jobState: async (id) => (await app.queue.getJobState(jobIdFor(id))) as string,
    waitForJob: async (id, state, timeoutMs = 10_000) => {
      await waitFor(async () => (await app.queue.getJobState(jobIdFor(id))) === state, timeoutMs, `job ${state}`);
      return state;
    },
  };
}

/** The value of one sample of a metric, from the registry's text. */
export async function metricValue(app: WorkerApp, name: string, labels = ''): Promise<number> {
  const text = await app.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
