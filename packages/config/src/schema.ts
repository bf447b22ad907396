import { Type, type Static } from '@sinclair/typebox';
import { LOGIN_PATTERN } from './formats';

/** A string enum as JSON Schema `enum`, so a bad value is reported with the allowed ones. */
const OneOf = <const T extends string>(values: readonly T[], options: { default?: T } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: values, ...options });

/**
 * Every environment variable the service reads, with its default and its rule.
 * API.md's "Configuration" table is the contract; the README repeats it.
 */
export const ConfigSchema = Type.Object({
  NODE_ENV: OneOf(['development', 'test', 'production'], { default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  DATABASE_URL: Type.String({
    pattern: '^(mysql|mariadb)://',
    default: 'mysql://root@127.0.0.1:3306/sms_settings',
  }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 20 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  QUEUE_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_{}-]{1,64}$', default: 'sms' }),
  APP_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  SMS_TRANSPORT: Type.Optional(OneOf(['messagebird', 'log'])),
  MESSAGEBIRD_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  // MessageBird accepts a phone number or up to 11 alphanumeric characters.
  MESSAGEBIRD_ORIGINATOR: Type.String({
    pattern: '^([A-Za-z0-9 ]{1,11}|\\+?[0-9]{1,17})$',
    default: 'Verify',
  }),
  MESSAGEBIRD_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60000, default: 5000 }),
  SMS_TEMPLATE: Type.String({
    pattern: '\\{code\\}',
    maxLength: 600,
    default: 'Your verification code is {code}',
  }),
  CODE_LENGTH: Type.Integer({ minimum: 4, maximum: 10, default: 6 }),
  CODE_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 86400, default: 600 }),
  CODE_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  SMS_RESEND_COOLDOWN_SECONDS: Type.Integer({ minimum: 0, maximum: 86400, default: 60 }),
  SMS_MAX_PER_PHONE_PER_HOUR: Type.Integer({ minimum: 1, maximum: 1000000, default: 5 }),
  IP_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 10000000, default: 30 }),
  SMS_ALLOWED_COUNTRIES: Type.String({ pattern: '^([A-Za-z]{2}(\\s*,\\s*[A-Za-z]{2})*)?$', default: '' }),
  ADMIN_LOGIN: Type.Optional(Type.String({ pattern: LOGIN_PATTERN })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })),
  SESSION_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 31536000, default: 86400 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 1048576, default: 16384 }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  WORKER_METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9100 }),
  SMS_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
  SMS_BACKOFF_MS: Type.Integer({ minimum: 10, maximum: 3600000, default: 2000 }),
  // Worker: SMS sends per second across all workers (BullMQ's limiter is global per queue).
  SMS_SEND_RATE_PER_SECOND: Type.Integer({ minimum: 1, maximum: 100000, default: 100 }),
  // Worker: wait after a 429 that names no Retry-After; no attempt is used up.
  SMS_RATE_LIMIT_MS: Type.Integer({ minimum: 10, maximum: 600000, default: 1000 }),
  // Worker: how long all sending pauses after a bad key or an empty balance.
  SMS_OPERATOR_PAUSE_MS: Type.Integer({ minimum: 100, maximum: 86400000, default: 300000 }),
  // Worker: how long a worker owns a `sending` row; keep it well above MESSAGEBIRD_TIMEOUT_MS.
  SMS_LEASE_MS: Type.Integer({ minimum: 500, maximum: 3600000, default: 60000 }),
  // Worker: BullMQ job lock; a killed worker's jobs are taken over after about this long.
  WORKER_LOCK_MS: Type.Integer({ minimum: 500, maximum: 600000, default: 30000 }),
  OUTBOX_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 600000, default: 2000 }),
  OUTBOX_SWEEP_AGE_MS: Type.Integer({ minimum: 0, maximum: 3600000, default: 5000 }),
  EXPOSE_VERIFICATION_CODE: Type.Boolean({ default: false }),
  LOG_LEVEL: OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
});

export type Env = Static<typeof ConfigSchema>;
