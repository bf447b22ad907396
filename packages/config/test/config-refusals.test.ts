// loadConfig on bad input: refused with one line naming the variable (all of
// them at once), never echoing a secret.
import t from 'tap';
import { ConfigError, loadConfig } from '@sms/config';

const HTTP_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const bad: [string, Record<string, string>, RegExp][] = [
  [
    'queue prefix with braces',
    { QUEUE_PREFIX: '{sms}' },
    /^Invalid configuration: QUEUE_PREFIX has an invalid format$/,
  ],
  ['cluster node without a port', { REDIS_CLUSTER_NODES: '10.0.0.1' }, /REDIS_CLUSTER_NODES has an invalid format/],
  [
    'cluster node port out of range',
    { REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:70000' },
    /^Invalid configuration: REDIS_CLUSTER_NODES needs host:port entries with ports 1-65535$/,
  ],
  [
    'bad NAT map',
    { REDIS_CLUSTER_NODES: '10.0.0.1:7000', REDIS_CLUSTER_NAT_MAP: '172.18.0.2:6379' },
    /^Invalid configuration: REDIS_CLUSTER_NAT_MAP needs announced:port=reachable:port entries$/,
  ],
  [
    'cluster password without cluster nodes',
    { REDIS_CLUSTER_PASSWORD: 'secret-pw' },
    /^Invalid configuration: REDIS_CLUSTER_PASSWORD is set but REDIS_CLUSTER_NODES is not$/,
  ],
  [
    'cluster TLS without cluster nodes',
    { REDIS_CLUSTER_TLS: 'true' },
    /^Invalid configuration: REDIS_CLUSTER_TLS is set but REDIS_CLUSTER_NODES is not$/,
  ],
  [
    'unknown transport',
    { SMS_TRANSPORT: 'pigeon' },
    /^Invalid configuration: SMS_TRANSPORT must be a list of: messagebird, bird, http, log$/,
  ],
  ['CODE_LENGTH 3', { CODE_LENGTH: '3' }, /^Invalid configuration: CODE_LENGTH must be >= 4$/],
  ['CODE_LENGTH 11', { CODE_LENGTH: '11' }, /CODE_LENGTH must be <= 10/],
  ['non-numeric port', { PORT: 'eighty' }, /PORT must be integer/],
  ['unparsable database URL', { DATABASE_URL: 'mysql://[::1' }, /DATABASE_URL is not a valid URL/],
  [
    'database URL of another scheme',
    { DATABASE_URL: 'postgres://x/y' },
    /^Invalid configuration: DATABASE_URL must start with mysql:\/\/ or mariadb:\/\/ \(not postgres:\/\/: /,
  ],
  [
    'unknown database URL option',
    { DATABASE_URL: 'mysql://root@127.0.0.1:3306/sms_settings?sslmode=require' },
    /^Invalid configuration: DATABASE_URL has an unknown option "sslmode" \(known: ssl, /,
  ],
  [
    'bad database URL option value',
    { DATABASE_URL: 'mysql://root@127.0.0.1:3306/sms_settings?allowPublicKeyRetrieval=yes' },
    /^Invalid configuration: DATABASE_URL option allowPublicKeyRetrieval must be true or false$/,
  ],
  [
    'database URL without a database',
    { DATABASE_URL: 'mysql://root@127.0.0.1:3306/' },
    /DATABASE_URL must name a database/,
  ],
  ['redis URL of another scheme', { REDIS_URL: 'http://x' }, /REDIS_URL has an invalid format/],
  [
    'production without APP_SECRET',
    { NODE_ENV: 'production', SMS_TRANSPORT: 'log', SMS_ALLOWED_COUNTRIES: '*' },
    /^Invalid configuration: APP_SECRET is required when NODE_ENV=production$/,
  ],
  ['short APP_SECRET', { APP_SECRET: 'short' }, /APP_SECRET must NOT have fewer than 32 characters/],
  [
    'exposed codes in production',
    { NODE_ENV: 'production', APP_SECRET: 'x'.repeat(32), EXPOSE_VERIFICATION_CODE: 'true' },
    /EXPOSE_VERIFICATION_CODE=true is refused when NODE_ENV=production/,
  ],
  [
    'production without SMS_ALLOWED_COUNTRIES',
    { NODE_ENV: 'production', APP_SECRET: 'x'.repeat(32), SMS_TRANSPORT: 'log' },
    /^Invalid configuration: SMS_ALLOWED_COUNTRIES is required when NODE_ENV=production/,
  ],
  ['unknown number type', { SMS_ALLOWED_NUMBER_TYPES: 'MOBILE,SATELLITE' }, /SMS_ALLOWED_NUMBER_TYPES has an invalid/],
  ['messagebird without a key', { SMS_TRANSPORT: 'messagebird' }, /MESSAGEBIRD_ACCESS_KEY is required/],
  ['template without {code}', { SMS_TEMPLATE: 'hello' }, /SMS_TEMPLATE has an invalid format/],
  ['bad country list', { SMS_ALLOWED_COUNTRIES: 'Ukraine' }, /SMS_ALLOWED_COUNTRIES has an invalid format/],
  ['bad boolean', { EXPOSE_VERIFICATION_CODE: 'yes please' }, /EXPOSE_VERIFICATION_CODE must be boolean/],
  ['unknown log level', { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
  ['admin login without password', { ADMIN_LOGIN: 'root' }, /ADMIN_LOGIN and ADMIN_PASSWORD must be set together/],
  ['originator too long', { MESSAGEBIRD_ORIGINATOR: 'VeryLongSenderName' }, /MESSAGEBIRD_ORIGINATOR/],
  [
    'bird without a key',
    { SMS_TRANSPORT: 'bird' },
    /^Invalid configuration: BIRD_ACCESS_KEY is required when SMS_TRANSPORT=bird$/,
  ],
  [
    'a Bird key without its region (a legacy key)',
    { SMS_TRANSPORT: 'bird', BIRD_ACCESS_KEY: 'live_abc' },
    /^Invalid configuration: BIRD_ACCESS_KEY has an invalid format$/,
  ],
  [
    'a Bird sender of digits only, too short',
    { BIRD_FROM: '1234' },
    /^Invalid configuration: BIRD_FROM has an invalid/,
  ],
  ['a Bird sender without a letter', { BIRD_FROM: '12 34 56' }, /^Invalid configuration: BIRD_FROM has an invalid/],
  [
    'a Bird signing secret that is not base64',
    { BIRD_SIGNING_KEY: 'whsec_not base64!' },
    /^Invalid configuration: BIRD_SIGNING_KEY has an invalid format$/,
  ],
  ['a provider named twice', { SMS_TRANSPORT: 'log, log' }, /^Invalid configuration: SMS_TRANSPORT names log twice$/],
  [
    'http without its URL',
    { SMS_TRANSPORT: 'log,http', SMS_HTTP_SECRET: HTTP_SECRET },
    /^Invalid configuration: SMS_HTTP_URL is required when SMS_TRANSPORT lists http$/,
  ],
  [
    'http without its secret',
    { SMS_TRANSPORT: 'http', SMS_HTTP_URL: 'https://gw.example.com/sms' },
    /^Invalid configuration: SMS_HTTP_SECRET is required when SMS_TRANSPORT lists http$/,
  ],
  [
    'an http secret that is not whsec_',
    { SMS_HTTP_SECRET: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    /^Invalid configuration: SMS_HTTP_SECRET has an invalid format$/,
  ],
  [
    'a plain-http gateway in production',
    {
      NODE_ENV: 'production',
      APP_SECRET: 'x'.repeat(32),
      SMS_ALLOWED_COUNTRIES: '*',
      SMS_TRANSPORT: 'http',
      SMS_HTTP_URL: 'http://gw.example.com/sms',
      SMS_HTTP_SECRET: HTTP_SECRET,
    },
    /^Invalid configuration: SMS_HTTP_URL must be https:\/\/ when NODE_ENV=production \(except a loopback address\)$/,
  ],
  [
    'a Bird signing secret too short to be one',
    { BIRD_SIGNING_KEY: 'whsec_c2hvcnQ=' },
    /^Invalid configuration: BIRD_SIGNING_KEY has an invalid format$/,
  ],
];

for (const [name, env, message] of bad) {
  t.test(`refuses ${name} with one line naming the variable`, async (t) => {
    const err = t.throws(() => loadConfig(env)) as Error;
    t.ok(err instanceof ConfigError);
    t.match(err.message, message);
    t.notMatch(err.message, /\n/, 'one line');
  });
}

t.test('secret values are never echoed in errors', async (t) => {
  const err = t.throws(() => loadConfig({ APP_SECRET: 'tooshort-secret-value' })) as Error;
  t.notMatch(err.message, /tooshort-secret-value/);
});

t.test('NODE_ENV=production alone names every missing variable in one line', async (t) => {
  const err = t.throws(() => loadConfig({ NODE_ENV: 'production' })) as Error;
  t.ok(err instanceof ConfigError);
  t.notMatch(err.message, /\n/, 'one line');
  for (const variable of ['APP_SECRET', 'SMS_TRANSPORT', 'SMS_ALLOWED_COUNTRIES']) {
    t.match(err.message, `${variable} is required when NODE_ENV=production`, variable);
  }
  t.match(err.message, /bird \(with BIRD_ACCESS_KEY\)/, 'the transports include Bird');
});

t.test('problems in several variables are listed together', async (t) => {
  const err = t.throws(() =>
    loadConfig({ SMS_TRANSPORT: 'bird', ADMIN_LOGIN: 'root', TRUST_PROXY: 'true', REDIS_URL: 'redis://[' }),
  ) as Error;
  t.match(
    err.message,
    /^Invalid configuration: REDIS_URL is not a valid URL; BIRD_ACCESS_KEY is required when SMS_TRANSPORT=bird; ADMIN_LOGIN and ADMIN_PASSWORD must be set together; TRUST_PROXY=true is refused /,
  );
});
