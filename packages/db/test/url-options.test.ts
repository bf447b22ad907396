// DATABASE_URL's driver options reach every connection the service makes:
// the migrator, the start-up check and the pool (connection.test.ts covers
// the parsing). Shown with an option every local server fails on — TLS
// verified against a CA that signed nothing — while the same URL without it works.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import mariadb from 'mariadb';
import { checkDatabase, createDb, describeConnectError, migrate, parseDatabaseUrl } from '@sms/db';
import { createTestDatabase, type Teardown } from '@sms/testing';

async function unrelatedCa(t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'db-ca-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const ca = join(dir, 'ca.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=sms-test-unrelated-ca',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      ca,
    ],
    { stdio: 'ignore' },
  );
  return ca;
}

function withOptions(databaseUrl: string, options: Record<string, string>): string {
  const url = new URL(databaseUrl);
  for (const [name, value] of Object.entries(options)) url.searchParams.set(name, value);
  return url.toString();
}

const TLS_FAILURE = /ssl|tls|certificate|self.signed|handshake/i;

/** A logger for createDb whose `reported` resolves with the pool's first warn line. */
function capturingLogger() {
  let report!: (line: string) => void;
  const reported = new Promise<string>((resolve) => (report = resolve));
  return { logger: { warn: (_: object, msg: string) => report(msg), info: () => {} }, reported };
}

t.test('the migrator, the start-up check and the pool all use the URL options', async (t) => {
  const databaseUrl = await createTestDatabase(t);
  const strict = withOptions(databaseUrl, { sslCa: await unrelatedCa(t) });

  await checkDatabase(databaseUrl);
  await t.rejects(checkDatabase(strict), TLS_FAILURE, 'start-up check');

  await migrate({ databaseUrl });
  await t.rejects(migrate({ databaseUrl: strict }), TLS_FAILURE, 'migrator');

  for (const [url, works] of [
    [databaseUrl, true],
    [strict, false],
  ] as const) {
    const { logger, reported } = capturingLogger();
    const { prisma, close } = createDb({ DATABASE_URL: url, DATABASE_POOL_SIZE: 2 }, logger);
    try {
      const query = prisma.$queryRaw`SELECT 1 AS one`;
      if (works) t.same(await query, [{ one: 1 }], 'pool without the option');
      else {
        await t.rejects(query, 'pool with the option');
        t.match(await reported, TLS_FAILURE, "pool: the line it logs gives the driver's reason");
      }
    } finally {
      await close();
    }
  }
});

// MySQL only: a caching_sha2_password user whose password is not in the
// server's cache (as after a restart) logs in without TLS only when the URL
// allows public key retrieval. Needs a password user with RELOAD (FLUSH
// PRIVILEGES empties the cache), as scripts/test-mysql.sh makes; skipped elsewhere.
async function coldCacheSetup(databaseUrl: string): Promise<string | null> {
  const options = parseDatabaseUrl(databaseUrl);
  if (options.password === '' || options.ssl || !options.allowPublicKeyRetrieval) return null;
  const conn = await mariadb.createConnection(options);
  try {
    const [{ version }] = await conn.query('SELECT VERSION() AS version');
    if (/mariadb/i.test(version)) return null;
    const [created] = await conn.query('SHOW CREATE USER CURRENT_USER()');
    if (!/caching_sha2_password/.test(String(Object.values(created)[0]))) return null;
    const grants: Record<string, string>[] = await conn.query('SHOW GRANTS');
    if (!grants.some((g) => /\bRELOAD\b/.test(String(Object.values(g)[0])))) return null;
    return version;
  } finally {
    await conn.end();
  }
}

async function emptyAuthCache(databaseUrl: string): Promise<void> {
  const conn = await mariadb.createConnection(parseDatabaseUrl(databaseUrl));
  try {
    await conn.query('FLUSH PRIVILEGES');
  } finally {
    await conn.end();
  }
}

t.test('a cold caching_sha2_password cache: allowPublicKeyRetrieval reaches each connection', async (t) => {
  const databaseUrl = await createTestDatabase(t);
  const version = await coldCacheSetup(databaseUrl);
  if (!version) {
    t.plan(0, 'needs MySQL, a caching_sha2_password user with RELOAD, allowPublicKeyRetrieval=true and no TLS');
    return;
  }
  t.comment(`MySQL ${version}`);
  const without = withOptions(databaseUrl, { allowPublicKeyRetrieval: 'false' });
  const NO_KEY = /RSA public key is not available/;
  // The pool's queries fail with "pool timeout"; the line an operator reads is
  // the one the pool logs when it cannot open connections.
  const pool = async (url: string) => {
    const { logger, reported } = capturingLogger();
    const { prisma, close } = createDb({ DATABASE_URL: url, DATABASE_POOL_SIZE: 1 }, logger);
    try {
      await prisma.$queryRaw`SELECT 1 AS one`;
    } catch {
      throw new Error(await reported);
    } finally {
      await close();
    }
  };
  const paths: [string, (url: string) => Promise<unknown>][] = [
    ['start-up check', checkDatabase],
    ['migrator', (url) => migrate({ databaseUrl: url })],
    ['pool', pool],
  ];
  for (const [name, connect] of paths) {
    await emptyAuthCache(databaseUrl);
    const refused = await connect(without).then(
      () => null,
      (err: unknown) => err,
    );
    t.match(refused, NO_KEY, `${name}: refused without the option`);
    t.match(
      name === 'pool' ? (refused as Error).message : describeConnectError(refused),
      /RSA public key is not available.* \(add \?allowPublicKeyRetrieval=true to DATABASE_URL, or connect with TLS: \?ssl=true\)$/,
      `${name}: the operator's line says what to add to DATABASE_URL`,
    );
    await emptyAuthCache(databaseUrl);
    await connect(databaseUrl);
    t.pass(`${name}: logs in with it`);
  }
});
