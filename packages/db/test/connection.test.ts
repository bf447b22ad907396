import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DatabaseUrlError } from '@sms/config';
import { parseDatabaseUrl, poolConfig } from '@sms/db';

const base = 'mysql://sms:p%40ss@db.example:3307/sms_settings';

t.test('host, port, user, password (decoded) and database; no options by default', async (t) => {
  t.strictSame(parseDatabaseUrl(base), {
    host: 'db.example',
    port: 3307,
    user: 'sms',
    password: 'p@ss',
    database: 'sms_settings',
  });
  t.match(parseDatabaseUrl('mariadb://127.0.0.1/x'), { host: '127.0.0.1', port: 3306, user: 'root', password: '' });
});

t.test('driver options from the query string', async (t) => {
  const opts = parseDatabaseUrl(`${base}?allowPublicKeyRetrieval=true&connectTimeout=2500&socketTimeout=60000`);
  t.equal(opts.allowPublicKeyRetrieval, true);
  t.equal(opts.connectTimeout, 2500);
  t.equal(opts.socketTimeout, 60000);
  t.equal(opts.ssl, undefined);
  t.equal(parseDatabaseUrl(`${base}?allowPublicKeyRetrieval=false`).allowPublicKeyRetrieval, false);
});

t.test('ssl: off, verified, trust mode, own CA', async (t) => {
  t.equal(parseDatabaseUrl(`${base}?ssl=false`).ssl, false);
  t.strictSame(parseDatabaseUrl(`${base}?ssl=true`).ssl, { rejectUnauthorized: true });
  t.strictSame(parseDatabaseUrl(`${base}?ssl=true&sslRejectUnauthorized=false`).ssl, { rejectUnauthorized: false });

  const dir = await mkdtemp(join(tmpdir(), 'db-url-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const ca = join(dir, 'ca.pem');
  await writeFile(ca, '-----BEGIN CERTIFICATE-----\n...\n');
  t.strictSame(parseDatabaseUrl(`${base}?sslCa=${encodeURIComponent(ca)}`).ssl, {
    rejectUnauthorized: true,
    ca: '-----BEGIN CERTIFICATE-----\n...\n',
  });
  t.throws(
    () => parseDatabaseUrl(`${base}?sslCa=${join(dir, 'missing.pem')}`),
    /option sslCa: cannot read .* \(ENOENT\)/,
  );
  t.throws(() => parseDatabaseUrl(`${base}?ssl=false&sslRejectUnauthorized=false`), /ssl=false together with/);
});

t.test('refuses unknown, repeated and malformed options, naming them', async (t) => {
  const cases: [string, RegExp][] = [
    [
      '?sslmode=required',
      /unknown option "sslmode" \(known: ssl, sslCa, sslRejectUnauthorized, allowPublicKeyRetrieval/,
    ],
    ['?connectionLimit=5', /unknown option "connectionLimit"/],
    ['?ssl=true&ssl=false', /option ssl twice/],
    ['?ssl=1', /option ssl must be true or false/],
    ['?connectTimeout=0', /option connectTimeout must be a whole number of milliseconds \(at least 1\)/],
    ['?socketTimeout=-1', /option socketTimeout must be a whole number/],
  ];
  for (const [query, message] of cases) {
    const err = t.throws(() => parseDatabaseUrl(base + query)) as Error;
    t.ok(err instanceof DatabaseUrlError, query);
    t.match(err.message, message, query);
    t.notMatch(err.message, /p@ss|p%40ss/, 'never the password');
  }
  t.throws(() => parseDatabaseUrl('mysql://x/'), /must name a database/);
  t.throws(() => parseDatabaseUrl('postgres://x/db'), /must start with mysql:\/\/ or mariadb:\/\//);
});

t.test('the pool gets the options; the URL connectTimeout replaces the default', async (t) => {
  t.match(poolConfig(base, 5), { connectTimeout: 1000, connectionLimit: 5, timezone: '+00:00' });
  t.match(poolConfig(`${base}?connectTimeout=4000&allowPublicKeyRetrieval=true&ssl=true`, 5), {
    connectTimeout: 4000,
    allowPublicKeyRetrieval: true,
    ssl: { rejectUnauthorized: true },
    database: 'sms_settings',
  });
});
