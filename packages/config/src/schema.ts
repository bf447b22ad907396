import { Type, type Static } from '@sinclair/typebox';
import { workerVariables } from './worker-schema';
import { LOGIN_PATTERN, StringEnum } from './formats';
import { deliveryReportVariables, providerVariables } from './provider-schema';
import { messageVariables } from './messages-schema';

/** libphonenumber-js number types (`PhoneNumber.getType()`). */
const NUMBER_TYPES =
  'MOBILE|FIXED_LINE_OR_MOBILE|FIXED_LINE|PREMIUM_RATE|TOLL_FREE|SHARED_COST|VOIP|PERSONAL_NUMBER|PAGER|UAN|VOICEMAIL';

/**
 * Every environment variable the service reads, with its default and its rule.
 * docs/configuration.md is generated from this schema (`pnpm docs:config`);
 * each `description` is that document's text for the variable.
 */
export const ConfigSchema = Type.Object({
  NODE_ENV: StringEnum(['development', 'test', 'production'], {
    default: 'development',
    description:
      '`production` requires `APP_SECRET`, `SMS_TRANSPORT` (or `MESSAGEBIRD_ACCESS_KEY`) and `SMS_ALLOWED_COUNTRIES`, and refuses `EXPOSE_VERIFICATION_CODE=true`.',
  }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'Port the API listens on.' }),
  HOST: Type.String({
    minLength: 1,
    default: '0.0.0.0',
    description: 'Address the API and the worker’s metrics port listen on.',
  }),
  DATABASE_URL: Type.String({
    // No schema pattern: database-url.ts checks the scheme, saying which is expected.
    default: 'mysql://root@127.0.0.1:3306/sms_settings',
    description: 'MySQL 8 / MariaDB 10.6+ database, a `mysql://` or `mariadb://` URL; it is created if missing.',
  }),
  DATABASE_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 20,
    description: 'Database connections per process (API or worker).',
  }),
  REDIS_URL: Type.String({
    pattern: '^rediss?://',
    default: 'redis://127.0.0.1:6379',
    description: 'Redis for the queue and the rate limits; it must run with `maxmemory-policy noeviction`.',
  }),
  REDIS_CLUSTER_NODES: Type.Optional(
    Type.String({
      pattern: '^[^,\\s]+:[0-9]{1,5}(\\s*,\\s*[^,\\s]+:[0-9]{1,5})*$',
      description:
        'Comma-separated `host:port` seed nodes of a Redis Cluster (`10.0.0.1:7000,10.0.0.2:7000`); when set, every ' +
        'Redis connection of the API and the worker goes to the cluster and `REDIS_URL` is not used. Any reachable ' +
        'nodes will do: the others are discovered. Every node must run with `maxmemory-policy noeviction`.',
    }),
  ),
  REDIS_CLUSTER_USERNAME: Type.Optional(
    Type.String({ minLength: 1, description: 'ACL user for every cluster node (with `REDIS_CLUSTER_NODES`).' }),
  ),
  REDIS_CLUSTER_PASSWORD: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Password for every cluster node (`requirepass`, or the ACL user’s), with `REDIS_CLUSTER_NODES`.',
    }),
  ),
  REDIS_CLUSTER_TLS: Type.Boolean({
    default: false,
    description: 'TLS to every cluster node, checked against the system’s CAs (with `REDIS_CLUSTER_NODES`).',
  }),
  REDIS_CLUSTER_NAT_MAP: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Comma-separated `announced:port=reachable:port` pairs, for nodes that announce addresses this process ' +
        'cannot reach (containers, NAT): `172.18.0.2:6379=127.0.0.1:7000`. With `REDIS_CLUSTER_NODES`.',
    }),
  ),
  QUEUE_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    default: 'sms',
    description:
      'Key prefix in Redis, so several deployments can share one Redis. The queue’s keys live under ' +
      '`{QUEUE_PREFIX}` (braces added: a Redis Cluster hash tag, so all of them are in one slot as BullMQ needs); ' +
      'the limits’ keys under `QUEUE_PREFIX:`, spread over the cluster.',
  }),
  APP_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'Key for the verification codes’ hashes; every API instance must share it. ' +
        'Required when `NODE_ENV=production`; otherwise a fixed development value is used, with a warning at start.',
    }),
  ),
  ...providerVariables,
  SMS_TEMPLATE: Type.String({
    pattern: '\\{code\\}',
    maxLength: 600,
    default: 'Your verification code is {code}',
    description:
      'The English (`en`) text of the SMS; `{code}` is replaced by the code, `{service}` by `SERVICE_NAME`, ' +
      '`{minutes}` by the code’s lifetime. An `en` text in `SMS_TEMPLATES_FILE` takes its place.',
  }),
  ...messageVariables,
  CODE_LENGTH: Type.Integer({ minimum: 4, maximum: 10, default: 6, description: 'Digits in a verification code.' }),
  CODE_TTL_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 86400,
    default: 600,
    description: 'How long a code stays valid.',
  }),
  CODE_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 5,
    description: 'Verify attempts per code; then the code is dead, even for the right value.',
  }),
  SMS_RESEND_COOLDOWN_SECONDS: Type.Integer({
    minimum: 0,
    maximum: 86400,
    default: 60,
    description: 'Per phone: at most one SMS in this many seconds (PUT and resend alike).',
  }),
  SMS_MAX_PER_PHONE_PER_HOUR: Type.Integer({
    minimum: 1,
    maximum: 1000000,
    default: 5,
    description: 'Per phone: at most this many SMS per hour (PUT and resend alike).',
  }),
  IP_RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 10000000,
    default: 30,
    description:
      'Requests per minute per client IP on each unauthenticated endpoint (signup, signin, resend, verify, the dashboard login).',
  }),
  SMS_ALLOWED_COUNTRIES: Type.String({
    pattern: '^(\\*|[A-Za-z]{2}(\\s*,\\s*[A-Za-z]{2})*)?$',
    default: '',
    description:
      'Comma-separated ISO 3166 alpha-2 codes (`UA,PL,DE`); phones elsewhere get `COUNTRY_NOT_ALLOWED`. ' +
      '`*`: all countries, on purpose. Empty: all countries, with a warning at start; ' +
      'refused when `NODE_ENV=production` (every country open is what SMS pumping needs).',
  }),
  SMS_ALLOWED_NUMBER_TYPES: Type.String({
    pattern: `^(${NUMBER_TYPES})(\\s*,\\s*(${NUMBER_TYPES}))*$`,
    default: 'MOBILE,FIXED_LINE_OR_MOBILE',
    description:
      'Comma-separated number types (libphonenumber’s, full metadata) that may be texted; others get ' +
      '`PHONE_TYPE_NOT_ALLOWED`, as do non-geographic numbers (satellite `+881`, international premium `+979`). ' +
      `One of: ${NUMBER_TYPES.split('|').join(', ')}.`,
  }),
  SMS_MAX_PER_ACCOUNT_PER_HOUR: Type.Integer({
    minimum: 1,
    maximum: 1000000,
    default: 5,
    description:
      'Per account: SMS-causing requests (PUT with a new phone, its `PHONE_IN_USE` check included) per hour.',
  }),
  SMS_MAX_PER_IP_PER_HOUR: Type.Integer({
    minimum: 1,
    maximum: 1000000,
    default: 10,
    description: 'Per client IP: SMS-causing requests (PUT with a new phone, resend) per hour.',
  }),
  SMS_MAX_PER_COUNTRY_PER_HOUR: Type.Integer({
    minimum: 1,
    maximum: 100000000,
    default: 1000,
    description:
      'Per destination country: SMS per hour across all instances. Tripping it logs a warning and counts ' +
      '`sms_budget_exceeded_total{budget="country"}`: a burst to one country is what SMS pumping looks like.',
  }),
  SMS_GLOBAL_MAX_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 100000000,
    default: 300,
    description:
      'All SMS per minute across all instances. Tripping it logs a warning and counts ' +
      '`sms_budget_exceeded_total{budget="global"}`.',
  }),
  CODE_MAX_FAILED_PER_PHONE_PER_DAY: Type.Integer({
    minimum: 1,
    maximum: 1000000,
    default: 10,
    description:
      'Failed verifies per phone across all its codes (unknown phones counted alike) in 24 hours; then ' +
      '`TOO_MANY_ATTEMPTS` until the window passes. Anyone can so lock a phone’s verification for a day.',
  }),
  SIGNIN_MAX_FAILED_PER_LOGIN: Type.Integer({
    minimum: 1,
    maximum: 1000000,
    default: 10,
    description:
      'Failed sign-ins per login in 15 minutes, from any address, `/signin` and `/admin/login` together; ' +
      'then `TOO_MANY_REQUESTS` with `Retry-After` (unknown logins counted alike).',
  }),
  SERVICE_NAME: Type.String({
    minLength: 1,
    maxLength: 40,
    default: 'SMS verification',
    description: 'Replaces `{service}` in the SMS texts, so the SMS says which service asks for the code.',
  }),
  ADMIN_LOGIN: Type.Optional(
    Type.String({
      pattern: LOGIN_PATTERN,
      description: 'Bootstrap admin, with `ADMIN_PASSWORD`: created at start if missing, never overwritten.',
    }),
  ),
  ADMIN_PASSWORD: Type.Optional(
    Type.String({ minLength: 8, maxLength: 128, description: 'Password of the bootstrap admin (`ADMIN_LOGIN`).' }),
  ),
  SESSION_TTL_SECONDS: Type.Integer({
    minimum: 60,
    maximum: 31536000,
    default: 86400,
    description: 'Idle time after which a session dies (the expiry slides on use).',
  }),
  BODY_LIMIT_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 1048576,
    default: 16384,
    description: 'Largest accepted request body; larger ones get 413 `PAYLOAD_TOO_LARGE`.',
  }),
  TRUST_PROXY: Type.String({
    pattern: '^(false|true|[0-9]{1,2}|[0-9A-Fa-f.:/]+(\\s*,\\s*[0-9A-Fa-f.:/]+)*)$',
    default: 'false',
    description:
      'Which proxies may name the client in `X-Forwarded-For` (and the protocol in `X-Forwarded-Proto`): ' +
      'the number of proxies in front of the API (`1` behind one load balancer), or their addresses or CIDR ranges ' +
      '(`10.0.0.0/8,192.168.1.7`). `false`: the socket’s address is the client. `true` is refused: it would let ' +
      'clients choose their own address (the left-most `X-Forwarded-For` entry) and so escape the per-IP limits.',
  }),
  REQUEST_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 30,
    description:
      'A request whose headers and body have not all arrived this long after it began is answered 408 ' +
      '`REQUEST_TIMEOUT` and its connection closed: a client trickling its body cannot hold a socket.',
  }),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description:
        'When set, the API’s and the worker’s `/metrics` need `Authorization: Bearer <token>`. ' +
        'With `NODE_ENV=production` and a `HOST` that is not loopback, `/metrics` is not served without one (403).',
    }),
  ),
  ...workerVariables,
  EXPOSE_VERIFICATION_CODE: Type.Boolean({
    default: false,
    description: 'Return the code as `ver_code` from PUT: for test environments only; refused in production.',
  }),
  LOG_LEVEL: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    description: 'pino log level of both processes.',
  }),
  ...deliveryReportVariables,
});

export type Env = Static<typeof ConfigSchema>;
