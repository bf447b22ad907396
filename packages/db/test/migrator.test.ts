import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import mariadb from 'mariadb';
import { migrate, MIGRATIONS_DIR, parseDatabaseUrl } from '@sms/db';
import { baseConfig, dropDatabase, uniqueName, type Teardown } from '@sms/testing';

function scratchUrl(t: Teardown): string {
  const url = new URL(baseConfig().DATABASE_URL);
  url.pathname = `/${uniqueName('sms_mig')}`;
  t.teardown(() => dropDatabase(url.toString()));
  return url.toString();
}

async function query<T = Record<string, unknown>>(databaseUrl: string, sql: string): Promise<T[]> {
  const conn = await mariadb.createConnection(parseDatabaseUrl(databaseUrl));
  try {
    return await conn.query(sql);
  } finally {
    await conn.end();
  }
}

async function copyMigrations(t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

const schemaSnapshot = (url: string) =>
  query(
    url,
    `SELECT table_name, column_name, column_type, is_nullable FROM information_schema.columns
     WHERE table_schema = DATABASE() ORDER BY table_name, column_name`,
  );

t.test('creates the database, applies every migration once, records it as Prisma does', async (t) => {
  const url = scratchUrl(t);
  const names = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const first = await migrate({ databaseUrl: url });
  t.same(first.applied, names);

  const rows = await query<{
    migration_name: string;
    checksum: string;
    finished_at: Date | null;
    applied_steps_count: number;
  }>(
    url,
    'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
  );
  t.equal(rows.length, names.length);
  for (const row of rows) {
    const sql = await readFile(join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
    t.equal(row.checksum, createHash('sha256').update(sql).digest('hex'), `${row.migration_name}: sha256 checksum`);
    t.ok(row.finished_at, 'finished');
    t.equal(Number(row.applied_steps_count), 1);
  }

  const before = await schemaSnapshot(url);
  const second = await migrate({ databaseUrl: url });
  t.same(second.applied, [], 'applied twice: nothing more to do');
  t.same(await schemaSnapshot(url), before, 'schema unchanged');
  t.equal((await query(url, 'SELECT * FROM _prisma_migrations')).length, names.length, 'no new rows');
});

t.test('two migrators started at once apply each migration once', async (t) => {
  const url = scratchUrl(t);
  const [a, b] = await Promise.all([migrate({ databaseUrl: url }), migrate({ databaseUrl: url })]);
  const all = [...a.applied, ...b.applied].sort();
  t.same(all, [...new Set(all)], 'no migration applied twice');
  t.ok(a.applied.length === 0 || b.applied.length === 0, 'one did the work, the other found it done');
  const rows = await query<{ n: bigint }>(url, 'SELECT COUNT(*) AS n FROM _prisma_migrations');
  t.equal(Number(rows[0]?.n), all.length);
});

t.test('a migration modified after it was applied is refused', async (t) => {
  const url = scratchUrl(t);
  const dir = await copyMigrations(t);
  await migrate({ databaseUrl: url, migrationsDir: dir });
  const [name] = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  const file = join(dir, name!, 'migration.sql');
  await writeFile(file, `${await readFile(file, 'utf8')}\n-- sneaky edit\n`);
  await t.rejects(migrate({ databaseUrl: url, migrationsDir: dir }), {
    name: 'MigrationError',
    message: /was modified after it was applied/,
  });
});

t.test('a failed migration is recorded and refused until resolved', async (t) => {
  const url = scratchUrl(t);
  const dir = await copyMigrations(t);
  await mkdir(join(dir, '29990101000000_broken'));
  await writeFile(
    join(dir, '29990101000000_broken', 'migration.sql'),
    'CREATE TABLE broken (id INT);\nTHIS IS NOT SQL;\n',
  );
  await t.rejects(migrate({ databaseUrl: url, migrationsDir: dir }), {
    message: /migration 29990101000000_broken failed/,
  });
  const [row] = await query<{ finished_at: Date | null; logs: string | null }>(
    url,
    "SELECT finished_at, logs FROM _prisma_migrations WHERE migration_name = '29990101000000_broken'",
  );
  t.equal(row?.finished_at, null, 'left unfinished, as Prisma records a failure');
  t.match(row?.logs, /syntax/i, 'the error is in logs');
  await t.rejects(migrate({ databaseUrl: url, migrationsDir: dir }), { message: /failed earlier and is unresolved/ });
});
