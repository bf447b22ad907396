// The worker process: validate config, check the database, consume the `sms`
// queue, sweep the outbox, serve /metrics, shut down gracefully.
import { ConfigError, loadConfig, loggerOptions, type Config } from '@sms/config';
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { startMetricsServer, type MetricsServer } from './metrics-server';
import { createWorkerApp } from './worker';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const logger = pino(loggerOptions(config, 'worker'));
for (const warning of config.warnings) logger.warn(warning);
if (config.SMS_TRANSPORT === 'log') {
  logger.warn('SMS_TRANSPORT=log: each SMS is written to this log as JSON (to, body) and not sent');
}

const app = createWorkerApp(config, { logger, defaultMetrics: true });

try {
  // A direct query at start names the real cause (bad password, unknown host)
  // instead of a pool timeout on the first job.
  await app.prisma.$queryRaw`SELECT 1`;
} catch (err) {
  console.error(`Cannot reach the database at DATABASE_URL: ${(err as Error).message}`);
  await app.close().catch(() => {});
  process.exit(1);
}

let metricsServer: MetricsServer;
try {
  metricsServer = await startMetricsServer(app.metrics.registry, config.WORKER_METRICS_PORT, config.HOST);
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
    queue: `${config.QUEUE_PREFIX}:sms`,
    concurrency: config.WORKER_CONCURRENCY,
    transport: app.transport.name,
    metricsPort: metricsServer.port,
  },
  'worker started',
);
