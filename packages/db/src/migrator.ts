import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mariadb from 'mariadb';
import { parseDatabaseUrl } from './connection';
import { describeConnectError } from './errors';

/** prisma/migrations at the repository root (copied beside packages/ in the image too). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));

// The table exactly as Prisma's schema engine creates it on MySQL, so that
// `prisma migrate deploy` / `migrate status` accept a database migrated here.
const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;

const LOCK_TIMEOUT_SECONDS = 60;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** A connection for the migrator; failing, a MigrationError that names DATABASE_URL and the driver's reason. */
async function connect(config: mariadb.ConnectionConfig): Promise<mariadb.Connection> {
  try {
    return await mariadb.createConnection({ connectTimeout: 5000, ...config });
  } catch (err) {
    throw new MigrationError(`Cannot reach the database at DATABASE_URL: ${describeConnectError(err)}`);
  }
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface MigrateOptions {
  databaseUrl: string;
  migrationsDir?: string;
  log?: (message: string) => void;
}

export interface MigrateResult {
  applied: string[];
}

async function readMigrations(dir: string): Promise<{ name: string; sql: string; checksum: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Creates the database if missing and applies pending migrations in order,
 * recording each in `_prisma_migrations` as Prisma does. A named lock makes
 * concurrent starters wait for each other. Refuses to go on when an applied
 * migration was modified, or when one failed earlier and was never resolved.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const { database, ...server } = parseDatabaseUrl(options.databaseUrl);
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(options.migrationsDir ?? MIGRATIONS_DIR);

  const admin = await connect(server);
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }

  const conn = await connect({
    ...server,
    database,
    timezone: '+00:00',
    multipleStatements: true,
  });
  const lockName = `prisma_migrate:${database}`.slice(0, 64);
  try {
    const [lock] = await conn.query('SELECT GET_LOCK(?, ?) AS got', [lockName, LOCK_TIMEOUT_SECONDS]);
    if (Number(lock.got) !== 1) {
      throw new MigrationError(`another migrator held the lock ${lockName} for ${LOCK_TIMEOUT_SECONDS}s; try again`);
    }
    await conn.query(MIGRATIONS_TABLE_DDL);
    const rows: AppliedRow[] = await conn.query(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
    );

    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) {
      throw new MigrationError(
        `migration ${failed.migration_name} failed earlier and is unresolved: fix the database by hand, then mark it ` +
          'rolled back (UPDATE _prisma_migrations SET rolled_back_at = NOW(3) WHERE ...) or applied',
      );
    }
    const applied = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]));

    const done: string[] = [];
    for (const migration of migrations) {
      const row = applied.get(migration.name);
      if (row) {
        if (row.checksum !== migration.checksum) {
          throw new MigrationError(
            `migration ${migration.name} was modified after it was applied (checksum differs); ` +
              'restore the original file and put the change in a new migration',
          );
        }
        continue;
      }
      const id = randomUUID();
      await conn.query(
        'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, NOW(3), 0)',
        [id, migration.checksum, migration.name],
      );
      try {
        await conn.query(migration.sql);
      } catch (err) {
        await conn.query('UPDATE _prisma_migrations SET logs = ? WHERE id = ?', [String(err), id]);
        throw new MigrationError(`migration ${migration.name} failed: ${(err as Error).message}`);
      }
      await conn.query('UPDATE _prisma_migrations SET finished_at = NOW(3), applied_steps_count = 1 WHERE id = ?', [
        id,
      ]);
      log(`applied migration ${migration.name}`);
      done.push(migration.name);
    }
    return { applied: done };
  } finally {
    await conn.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => {});
    await conn.end();
  }
}
