// `pnpm migrate`: applies pending migrations to DATABASE_URL and exits.
import { ConfigError, loadConfig } from '@sms/config';
import { describeConnectError } from './errors';
import { migrate, MigrationError } from './migrator';

try {
  const config = loadConfig();
  const { applied } = await migrate({ databaseUrl: config.DATABASE_URL, log: (m) => console.log(m) });
  console.log(applied.length ? `database is up to date (${applied.length} applied)` : 'database is up to date');
} catch (err) {
  if (err instanceof ConfigError || err instanceof MigrationError) console.error(err.message);
  else console.error(`migration failed on the database at DATABASE_URL: ${describeConnectError(err)}`);
  process.exitCode = 1;
}
