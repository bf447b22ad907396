// The API process: validate config, check the database, listen, shut down gracefully.
import { exitOnConfigError, loadConfigOrExit } from '@sms/config';
import { checkDatabaseOrExit } from '@sms/db';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app';

const config = loadConfigOrExit();
// A direct query at start names the real cause (bad password, unknown host)
// instead of the pool timeout Prisma would report on the first request.
await checkDatabaseOrExit(config.DATABASE_URL);

// The SMS texts and test numbers are checked as the services are built (plugins/services.ts).
const app = await buildApp(config).catch(exitOnConfigError);
for (const warning of config.warnings) app.log.warn(warning);

if (config.ADMIN_LOGIN && config.ADMIN_PASSWORD) {
  const result = await app.accounts.ensureAdmin(config.ADMIN_LOGIN, config.ADMIN_PASSWORD);
  app.log.info({ login: config.ADMIN_LOGIN, result }, 'bootstrap admin');
}

// SIGTERM/SIGINT: stop listening, answer the requests in hand (plugins/shutdown.ts), close the pools.
closeWithGrace({ delay: 25_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down');
  await app.close();
});

try {
  await app.listen({ port: config.PORT, host: config.HOST });
} catch (err) {
  // Mostly a port in use, e.g. by a second copy started beside the first: name the variable.
  console.error(`Cannot listen on PORT ${config.PORT} (HOST ${config.HOST}): ${(err as Error).message}`);
  await app.close().catch(() => {});
  process.exit(1);
}
