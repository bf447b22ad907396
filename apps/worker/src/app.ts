import type { Config } from '@sms/config';
import { createDb, SmsMessagesRepository, type Db, type PrismaClient } from '@sms/db';
import {
  SMS_QUEUE,
  closeRedis,
  createProducerRedis,
  queuePrefix,
  createSmsQueue,
  createWorkerRedis,
  SEND_SMS_JOB,
  type SendSmsPayload,
  type SmsQueue,
  watchRedisOutages,
} from '@sms/jobs';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { Messages } from './messages';
import { createMetrics, type WorkerMetrics } from './metrics';
import { createSendSmsProcessor } from './processors/send-sms';
import { PROVIDER_STATES, ProviderHealth } from './providers/health';
import { SendError, createTransports, type Transport } from './sms';
import { OutboxSweeper } from './sweeper';

export type SmsWorker = Worker<SendSmsPayload, void, typeof SEND_SMS_JOB>;

export interface WorkerAppOptions {
  logger: Logger;
  /** Replaces the providers SMS_TRANSPORT names (tests, the benchmark's fake provider). */
  transport?: Transport;
  /** Replaces the providers SMS_TRANSPORT names, in order of preference. */
  transports?: Transport[];
  /** Process-wide Node metrics (heap, event loop); only for the real process. */
  defaultMetrics?: boolean;
}

export interface WorkerApp {
  config: Config;
  db: Db;
  /** db.prisma, for tests that look at rows. */
  prisma: PrismaClient;
  queue: SmsQueue;
  worker: SmsWorker;
  sweeper: OutboxSweeper;
  metrics: WorkerMetrics;
  /** The first (preferred) provider. */
  transport: Transport;
  transports: readonly Transport[];
  health: ProviderHealth;
  /** Starts consuming and sweeping. */
  start(): void;
  /** Finishes the jobs in hand, takes no new one, then closes every connection. */
  close(): Promise<void>;
}

/** Everything the worker process runs, without signals or ports (run.ts adds those); tests use it as it is. */
export function createWorkerApp(config: Config, options: WorkerAppOptions): WorkerApp {
  const { logger } = options;
  const db = createDb(config, logger);
  const repository = new SmsMessagesRepository(db);
  // The worker's blocking connection must wait out Redis outages; the queue
  // (sweeper adds, rate limits, depth metric) fails fast instead of piling up
  // commands while Redis is away.
  const workerRedis = createWorkerRedis(config);
  const queueRedis = createProducerRedis(config);
  // One line per outage for both connections, none per retry.
  const outages = watchRedisOutages({ worker: workerRedis, queue: queueRedis }, logger);

  const queue = createSmsQueue(config, queueRedis);
  // During a Redis outage BullMQ's errors are that outage, already reported once.
  queue.on('error', (err) => {
    if (!outages.down()) logger.warn({ err: err.message }, 'sms queue error');
  });
  const metrics = createMetrics({ queue, defaultMetrics: options.defaultMetrics });
  const transports = options.transports ?? (options.transport ? [options.transport] : createTransports(config, logger));
  const health = new ProviderHealth(queueRedis, {
    prefix: queuePrefix(config),
    names: transports.map((t) => t.name),
    threshold: config.SMS_PROVIDER_FAILURE_THRESHOLD,
    cooldownMs: config.SMS_PROVIDER_COOLDOWN_SECONDS * 1000,
    // A probe lasts one send; a worker killed mid-probe frees it with its lease.
    probeLeaseMs: config.SMS_LEASE_MS,
    logger,
    onState: (provider, current) => {
      for (const state of PROVIDER_STATES) metrics.providerState.set({ provider, state }, state === current ? 1 : 0);
    },
  });
  const messages = new Messages(repository, config.SMS_LEASE_MS);

  const sendSms = createSendSmsProcessor({ messages, transports, health, limiter: queue, metrics, logger, config });
  // The jobs in hand, for a close while Redis is unreachable (below).
  const inHand = new Set<Promise<void>>();
  const processor: typeof sendSms = (job, token) => {
    const work = sendSms(job, token);
    inHand.add(work);
    work.then(
      () => inHand.delete(work),
      () => inHand.delete(work),
    );
    return work;
  };
  const worker: SmsWorker = new Worker<SendSmsPayload, void, typeof SEND_SMS_JOB>(SMS_QUEUE, processor, {
    connection: workerRedis,
    prefix: queuePrefix(config),
    concurrency: config.WORKER_CONCURRENCY,
    // Global across all workers of the queue; also what makes queue.rateLimit() bite.
    limiter: { max: config.SMS_SEND_RATE_PER_SECOND, duration: 1000 },
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_LOCK_MS,
    autorun: false,
  });
  worker.on('error', (err) => {
    if (!outages.down()) logger.error({ err: err.message }, 'worker error');
  });
  worker.on('failed', (job, err) => {
    // Send failures and permanent failures are logged where they are decided;
    // anything else (database down, a bug) is logged here, never swallowed.
    if (err instanceof SendError || err instanceof UnrecoverableError) return;
    logger.error(
      { messageId: job?.data.messageId, attemptsMade: job?.attemptsMade, err: err.message },
      'sms job failed',
    );
  });

  const sweeper = new OutboxSweeper({ messages: repository, queue, logger, metrics, config });

  let closing: Promise<void> | null = null;
  return {
    config,
    db,
    prisma: db.prisma,
    queue,
    worker,
    sweeper,
    metrics,
    transport: transports[0]!,
    transports,
    health,
    start() {
      worker.run().catch((err: Error) => logger.error({ err: err.message }, 'worker stopped with an error'));
      sweeper.start();
    },
    close() {
      closing ??= (async () => {
        await sweeper.stop();
        if (workerRedis.status === 'ready') {
          // BullMQ waits for the jobs in hand and records their results.
          await worker.close();
        } else {
          // Redis is unreachable: BullMQ's own close would wait for it forever
          // (taskforcesh/bullmq#4656). Our part of the jobs in hand (the send,
          // the row) finishes; their results in Redis are left to the stalled
          // check, which runs them again, and a message already sent is not sent twice.
          await Promise.allSettled(inHand);
          await worker.close(true);
        }
        await Promise.all(transports.map((t) => t.close()));
        await queue.close();
        await db.close();
        await Promise.all([workerRedis, queueRedis].map(closeRedis));
      })();
      return closing;
    },
  };
}
