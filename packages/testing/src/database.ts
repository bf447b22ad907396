// A database of each test file's own, so files run in parallel against the
// real MariaDB, and nothing is left behind when the file ends.
import { migrate, parseDatabaseUrl } from '@sms/db';
import mariadb from 'mariadb';
import { baseConfig, uniqueName, type Teardown } from './base';

/** A fresh, migrated database; dropped at teardown. Returns its URL. */
export async function createTestDatabase(t: Teardown, base = baseConfig().DATABASE_URL): Promise<string> {
  const url = new URL(base);
  url.pathname = `/${uniqueName('sms_test')}`;
  const databaseUrl = url.toString();
  await migrate({ databaseUrl });
  t.teardown(() => dropDatabase(databaseUrl));
  return databaseUrl;
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const { database, ...server } = parseDatabaseUrl(databaseUrl);
  const conn = await mariadb.createConnection(server);
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await conn.end();
  }
}
