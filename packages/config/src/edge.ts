import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError } from './config-error';
import { SMS_TRANSPORTS } from './provider-schema';
import type { Env } from './schema';

/** What Fastify's `trustProxy` accepts, minus `true` (see parseTrustProxy). */
export type TrustProxy = false | number | string[];

const fail = (message: string): never => {
  throw new ConfigError(`Invalid configuration: ${message}`);
};

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY as Fastify's trustProxy: a hop count or a list of proxy
 * addresses. `true` trusts every hop, so the client-written left-most
 * X-Forwarded-For entry would become the client IP the per-IP limits count.
 */
export function parseTrustProxy(value: string): TrustProxy {
  if (value === 'false' || value === '0') return false;
  if (value === 'true') {
    fail(
      'TRUST_PROXY=true is refused (clients could pick their own IP): set the number of proxies in front (TRUST_PROXY=1) or their addresses (TRUST_PROXY=10.0.0.0/8)',
    );
  }
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((e) => e.trim());
  const bad = entries.find((e) => !isAddressOrRange(e));
  if (bad !== undefined) fail(`TRUST_PROXY has an entry that is not an IP address or CIDR range: ${bad}`);
  return entries;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** Production serves /metrics only behind METRICS_TOKEN or on loopback. */
const metricsWithheld = (env: Pick<Env, 'NODE_ENV' | 'HOST' | 'METRICS_TOKEN'>) =>
  env.NODE_ENV === 'production' && !env.METRICS_TOKEN && !isLoopback(env.HOST);

/**
 * Production's rule for the transport: the log transport only when asked for
 * by name. Returns the problem (null: none), to be listed with the others.
 */
export function transportProblem(env: Env): string | null {
  if (env.NODE_ENV !== 'production' || env.SMS_TRANSPORT || env.MESSAGEBIRD_ACCESS_KEY) return null;
  const choices = Object.entries(SMS_TRANSPORTS).map(([name, key]) =>
    key ? `${name} (with ${key})` : `${name} (writes codes to the log)`,
  );
  return `SMS_TRANSPORT is required when NODE_ENV=production (unless MESSAGEBIRD_ACCESS_KEY is set): ${choices.join(', ')}`;
}

/** The edge's warnings for the start (production only). */
export function edgeWarnings(env: Env): string[] {
  return metricsWithheld(env)
    ? [`/metrics is not served: HOST=${env.HOST} is not loopback and METRICS_TOKEN is not set`]
    : [];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Who may read /metrics, for the API and the worker alike: 'ok', 401 without
 * the bearer token when one is set, 403 when production withholds them.
 */
export function metricsAccess(
  config: Pick<Env, 'NODE_ENV' | 'HOST' | 'METRICS_TOKEN'>,
): (authorization: string | undefined) => 'ok' | 401 | 403 {
  const { METRICS_TOKEN: token } = config;
  if (metricsWithheld(config)) return () => 403;
  if (!token) return () => 'ok';
  // Hashed first, so the comparison takes the same time whatever the length.
  const expected = digest(`Bearer ${token}`);
  return (authorization) => (authorization && timingSafeEqual(digest(authorization), expected) ? 'ok' : 401);
}
