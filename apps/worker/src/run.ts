// The worker process: validate config, check the database, consume the `sms`
// queue, sweep the outbox, serve /metrics, shut down gracefully. server.ts runs
// it as it is; the benchmark (bench/worker-main.ts) runs the very same process
// with a fake provider in place of the transport SMS_TRANSPORT names.
import { loadConfigOrExit, loggerOptions, metricsAccess, type Config } from '@sms/config';
import closeWithGrace from 'close-with-grace';
import { pino, type Logger } from 'pino';
import { checkDatabaseOrExit } from '@sms/db';
import { queuePrefix, SMS_QUEUE } from '@sms/jobs';
import { startMetricsServer, type MetricsServer } from './metrics-server';
import type { Transport } from './sms';
import { createWorkerApp } from './app';

export interface RunWorkerOptions {
  /** Replaces the transport SMS_TRANSPORT names. Benchmarks only; server.ts passes none. */
  transport?: (config: Config, logger: Logger) => Transport;
}

export async function runWorker(options: RunWorkerOptions = {}): Promise<void> {
  const config = loadConfigOrExit();

  const logOptions = loggerOptions(config, 'worker');
  // Synchronous writes: with the log transport the log line *is* the SMS, and it
  // must be out before the row says `sent` (an async buffer dies with a killed
  // process). The pretty transport of a developer's terminal is left as it is.
  const logger =
    'transport' in logOptions ? pino(logOptions) : pino(logOptions, pino.destination({ dest: 1, sync: true }));
  for (const warning of config.warnings) logger.warn(warning);
  const transport = options.transport?.(config, logger);
  if (!transport && config.SMS_TRANSPORT === 'log') {
    logger.warn('SMS_TRANSPORT=log: each SMS is written to this log as JSON (to, body) and not sent');
  }

  await checkDatabaseOrExit(config.DATABASE_URL);

  const app = createWorkerApp(config, { logger, defaultMetrics: true, ...(transport ? { transport } : {}) });

  let metricsServer: MetricsServer;
  try {
    metricsServer = await startMetricsServer(
      app.metrics.registry,
      config.WORKER_METRICS_PORT,
      config.HOST,
      metricsAccess(config),
    );
  } catch (err) {
    console.error(`Cannot listen on WORKER_METRICS_PORT ${config.WORKER_METRICS_PORT}: ${(err as Error).message}`);
    await app.close().catch(() => {});
    process.exit(1);
  }

  // SIGTERM/SIGINT: take no new job, finish the ones in hand (a send lasts at
  // most about MESSAGEBIRD_TIMEOUT_MS), close Prisma and Redis, exit.
  closeWithGrace({ delay: config.MESSAGEBIRD_TIMEOUT_MS + 10_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down');
    await metricsServer.close();
    await app.close();
    logger.info('worker stopped');
  });

  app.start();
  logger.info(
    {
      queue: `${queuePrefix(config)}:${SMS_QUEUE}`,
      concurrency: config.WORKER_CONCURRENCY,
      transport: config.SMS_TRANSPORT,
      metricsPort: metricsServer.port,
    },
    'worker started',
  );
}
