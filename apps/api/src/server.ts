// The API process: validate config, check the database, listen, shut down gracefully.
import { ConfigError, loadConfig } from '@sms/config';
import { checkDatabase } from '@sms/db';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const app = await buildApp(config);
for (const warning of config.warnings) app.log.warn(warning);

try {
  // A direct query at start names the real cause (bad password, unknown host)
  // instead of the pool timeout Prisma would report on the first request.
  await checkDatabase(config.DATABASE_URL);
  await app.ready();
} catch (err) {
  console.error(`Cannot reach the database at DATABASE_URL: ${(err as Error).message}`);
  await app.close().catch(() => {});
  process.exit(1);
}

if (config.ADMIN_LOGIN && config.ADMIN_PASSWORD) {
  const result = await app.accounts.ensureAdmin(config.ADMIN_LOGIN, config.ADMIN_PASSWORD);
  app.log.info({ login: config.ADMIN_LOGIN, result }, 'bootstrap admin');
}

// SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close pools.
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down');
  await app.close();
});

await app.listen({ port: config.PORT, host: config.HOST });
