import { parseDatabaseUrl } from './connection';
import { describeConnectError } from './errors';
import mariadb from 'mariadb';

/**
 * One direct connection at start. Through Prisma's pool an unreachable server
 * or a wrong password shows up only as "pool timeout"; the driver names the
 * real cause (refused, access denied, unknown database, table missing because
 * migrations were not run).
 */
export async function checkDatabase(databaseUrl: string): Promise<void> {
  const conn = await mariadb.createConnection({ connectTimeout: 3000, ...parseDatabaseUrl(databaseUrl) });
  try {
    await conn.query('SELECT 1 FROM sms_messages LIMIT 1');
  } finally {
    await conn.end();
  }
}

/** For process entry points: check the database, or one line naming the cause on stderr and exit 1. */
export async function checkDatabaseOrExit(databaseUrl: string): Promise<void> {
  try {
    await checkDatabase(databaseUrl);
  } catch (err) {
    console.error(`Cannot reach the database at DATABASE_URL: ${describeConnectError(err)}`);
    process.exit(1);
  }
}
