import { readFileSync } from 'node:fs';

/**
 * DATABASE_URL, e.g. `mysql://user:password@db-host:3306/sms_settings?ssl=true`.
 * The query string passes these options to the driver (mariadb), and no others:
 *
 * - `ssl=true|false` — TLS to the server (default false). With `true` the
 *   server's certificate is verified against Node's CA store (or `sslCa`).
 * - `sslCa=/path/to/ca.pem` — the CA file that signed the server's certificate
 *   (a managed database's bundle); implies `ssl=true`.
 * - `sslRejectUnauthorized=true|false` — with `false`, TLS without verifying
 *   the certificate (encryption against eavesdropping, not impersonation),
 *   e.g. for a server's auto-generated self-signed certificate.
 * - `allowPublicKeyRetrieval=true|false` — lets the driver ask the server for
 *   its RSA key to send the password of a `caching_sha2_password` user (the
 *   MySQL 8+ default) over a connection without TLS, whenever the server's
 *   authentication cache does not hold the user (after every MySQL restart).
 *   Without it, and without TLS, such a user cannot log in then. A server that
 *   can be impersonated could read the password: prefer `ssl` across networks.
 * - `cachingRsaPublicKey=/path/to/public_key.pem` — the server's RSA key given
 *   in advance instead of retrieved.
 * - `connectTimeout=<ms>` — for opening a connection; by default each user
 *   picks its own (the pool 1000, the start-up check 3000, the migrator 5000).
 * - `socketTimeout=<ms>` — closes a connection idle in the middle of a
 *   query for that long (default 0: never).
 *
 * Anything else is refused, naming the option, so a typo cannot silently
 * leave a connection without TLS.
 */
export interface DatabaseConnectionOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  ssl?: boolean | { rejectUnauthorized: boolean; ca?: string };
  allowPublicKeyRetrieval?: boolean;
  cachingRsaPublicKey?: string;
  connectTimeout?: number;
  socketTimeout?: number;
}

export const DATABASE_URL_OPTIONS = [
  'ssl',
  'sslCa',
  'sslRejectUnauthorized',
  'allowPublicKeyRetrieval',
  'cachingRsaPublicKey',
  'connectTimeout',
  'socketTimeout',
] as const;

/** A bad DATABASE_URL; the message says what, never the password. */
export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

function bool(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new DatabaseUrlError(`option ${name} must be true or false`);
}

function milliseconds(name: string, value: string, min: number): number {
  if (!/^\d{1,7}$/.test(value) || Number(value) < min) {
    throw new DatabaseUrlError(`option ${name} must be a whole number of milliseconds (at least ${min})`);
  }
  return Number(value);
}

function file(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new DatabaseUrlError(
      `option ${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** Splits a mysql:// URL into driver options; the database name is required. */
export function parseDatabaseUrl(databaseUrl: string): DatabaseConnectionOptions {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new DatabaseUrlError('is not a valid URL');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new DatabaseUrlError(`must start with mysql:// or mariadb:// (not ${url.protocol}//: MySQL or MariaDB only)`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) {
    throw new DatabaseUrlError('must name a database of letters, digits and _ (e.g. /sms_settings)');
  }
  const options: DatabaseConnectionOptions = {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database,
  };

  const query = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (!(DATABASE_URL_OPTIONS as readonly string[]).includes(name)) {
      throw new DatabaseUrlError(
        `has an unknown option ${JSON.stringify(name)} (known: ${DATABASE_URL_OPTIONS.join(', ')})`,
      );
    }
    if (query.has(name)) throw new DatabaseUrlError(`has the option ${name} twice`);
    query.set(name, value);
  }

  const ssl = query.has('ssl') ? bool('ssl', query.get('ssl')!) : undefined;
  const ca = query.has('sslCa') ? file('sslCa', query.get('sslCa')!) : undefined;
  const rejectUnauthorized = query.has('sslRejectUnauthorized')
    ? bool('sslRejectUnauthorized', query.get('sslRejectUnauthorized')!)
    : undefined;
  if (ssl === false && (ca !== undefined || rejectUnauthorized !== undefined)) {
    throw new DatabaseUrlError('sets ssl=false together with sslCa or sslRejectUnauthorized');
  }
  if (ssl || ca !== undefined || rejectUnauthorized !== undefined) {
    options.ssl = { rejectUnauthorized: rejectUnauthorized ?? true, ...(ca !== undefined && { ca }) };
  } else if (ssl === false) {
    options.ssl = false;
  }
  if (query.has('allowPublicKeyRetrieval')) {
    options.allowPublicKeyRetrieval = bool('allowPublicKeyRetrieval', query.get('allowPublicKeyRetrieval')!);
  }
  if (query.has('cachingRsaPublicKey')) {
    options.cachingRsaPublicKey = file('cachingRsaPublicKey', query.get('cachingRsaPublicKey')!);
  }
  if (query.has('connectTimeout')) {
    options.connectTimeout = milliseconds('connectTimeout', query.get('connectTimeout')!, 1);
  }
  if (query.has('socketTimeout')) {
    options.socketTimeout = milliseconds('socketTimeout', query.get('socketTimeout')!, 0);
  }
  return options;
}
