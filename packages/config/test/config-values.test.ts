// loadConfig on good input: the defaults, parsed and normalised values, a
// Redis cluster, Bird and the ordered list of providers.
import t from 'tap';
import { loadConfig, redisTarget } from '@sms/config';

const HTTP_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

t.test('defaults match docs/configuration.md with nothing set', async (t) => {
  const config = loadConfig({});
  t.equal(config.PORT, 8080);
  t.equal(config.HOST, '0.0.0.0');
  t.equal(config.DATABASE_URL, 'mysql://root@127.0.0.1:3306/sms_settings');
  t.equal(config.REDIS_URL, 'redis://127.0.0.1:6379');
  t.equal(config.QUEUE_PREFIX, 'sms');
  t.equal(config.SMS_TRANSPORT, 'log');
  t.equal(config.MESSAGEBIRD_ORIGINATOR, 'Verify');
  t.equal(config.SMS_TEMPLATE, 'Your verification code is {code}');
  t.same([config.CODE_LENGTH, config.CODE_TTL_SECONDS, config.CODE_MAX_ATTEMPTS], [6, 600, 5]);
  t.same(
    [config.SMS_RESEND_COOLDOWN_SECONDS, config.SMS_MAX_PER_PHONE_PER_HOUR, config.IP_RATE_LIMIT_PER_MINUTE],
    [60, 5, 30],
  );
  t.same(config.SMS_ALLOWED_COUNTRIES, []);
  t.equal(config.SESSION_TTL_SECONDS, 86400);
  t.equal(config.WORKER_CONCURRENCY, 50);
  t.equal(config.SMS_MAX_ATTEMPTS, 8);
  t.equal(config.EXPOSE_VERIFICATION_CODE, false);
  t.equal(config.LOG_LEVEL, 'info');
  t.match(config.warnings.join(), /APP_SECRET/, 'warns about the development secret');
  t.match(config.warnings.join(), /SMS_ALLOWED_COUNTRIES/, 'warns that every country can be texted');
  t.same(config.SMS_ALLOWED_NUMBER_TYPES, ['MOBILE', 'FIXED_LINE_OR_MOBILE']);
  t.same(
    [config.SMS_MAX_PER_ACCOUNT_PER_HOUR, config.SMS_MAX_PER_IP_PER_HOUR, config.CODE_MAX_FAILED_PER_PHONE_PER_DAY],
    [5, 10, 10],
  );
  t.equal(config.SERVICE_NAME, 'SMS verification');
});

t.test('SMS_ALLOWED_COUNTRIES=* opens every country on purpose, without a warning', async (t) => {
  const config = loadConfig({
    SMS_ALLOWED_COUNTRIES: '*',
    APP_SECRET: 'x'.repeat(32),
    NODE_ENV: 'production',
    SMS_TRANSPORT: 'log',
    METRICS_TOKEN: 'm'.repeat(32),
  });
  t.same(config.SMS_ALLOWED_COUNTRIES, []);
  t.same(config.warnings, []);
});

t.test('values are parsed and normalised', async (t) => {
  const config = loadConfig({
    PORT: '9000',
    MESSAGEBIRD_ACCESS_KEY: 'live_x',
    SMS_ALLOWED_COUNTRIES: 'ua, pl,DE',
    EXPOSE_VERIFICATION_CODE: 'true',
    APP_SECRET: 'x'.repeat(32),
  });
  t.equal(config.PORT, 9000);
  t.equal(config.SMS_TRANSPORT, 'messagebird', 'a key selects MessageBird');
  t.same(config.SMS_ALLOWED_COUNTRIES, ['UA', 'PL', 'DE']);
  t.equal(config.EXPOSE_VERIFICATION_CODE, true);
  t.same(config.warnings, []);
});

t.test('REDIS_CLUSTER_NODES names a cluster; REDIS_URL alone a single server', async (t) => {
  t.same(redisTarget(loadConfig({})), { url: 'redis://127.0.0.1:6379' });
  const config = loadConfig({
    REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2.internal:7001,[::1]:7002',
    REDIS_CLUSTER_USERNAME: 'sms',
    REDIS_CLUSTER_PASSWORD: 'pw',
    REDIS_CLUSTER_TLS: 'true',
    REDIS_CLUSTER_NAT_MAP: '172.18.0.2:6379=127.0.0.1:7000,172.18.0.3:6379=127.0.0.1:7001',
  });
  t.same(redisTarget(config), {
    cluster: {
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-2.internal', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      username: 'sms',
      password: 'pw',
      tls: true,
      natMap: {
        '172.18.0.2:6379': { host: '127.0.0.1', port: 7000 },
        '172.18.0.3:6379': { host: '127.0.0.1', port: 7001 },
      },
    },
  });
});

t.test('SMS_TRANSPORT=bird with a bk_ key and the dashboard’s whsec_ secret', async (t) => {
  const config = loadConfig({
    SMS_TRANSPORT: 'bird',
    BIRD_ACCESS_KEY: 'bk_eu1_0123456789abcdef',
    BIRD_SIGNING_KEY: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    BIRD_FROM: 'My Brand',
  });
  t.equal(config.SMS_TRANSPORT, 'bird');
  t.equal(config.BIRD_FROM, 'My Brand');
  t.equal(config.BIRD_TIMEOUT_MS, 5000, 'default timeout');
  t.equal(loadConfig({}).BIRD_FROM, 'Verify', 'the default sender');
  t.equal(
    loadConfig({ BIRD_ACCESS_KEY: 'bk_eu1_0123456789abcdef' }).SMS_TRANSPORT,
    'log',
    'a Bird key alone does not choose Bird: SMS_TRANSPORT does',
  );
});

t.test('SMS_TRANSPORT as an ordered list of providers, http with its variables', async (t) => {
  const config = loadConfig({
    SMS_TRANSPORT: ' bird , http,log',
    BIRD_ACCESS_KEY: 'bk_eu1_0123456789abcdef',
    SMS_HTTP_URL: 'https://gw.example.com/sms',
    SMS_HTTP_SECRET: HTTP_SECRET,
  });
  t.same(config.SMS_PROVIDERS, ['bird', 'http', 'log'], 'in the order given');
  t.equal(config.SMS_TRANSPORT, 'bird,http,log');
  t.equal(config.SMS_HTTP_TIMEOUT_MS, 5000);
  t.equal(config.SMS_PROVIDER_FAILURE_THRESHOLD, 5);
  t.equal(config.SMS_PROVIDER_COOLDOWN_SECONDS, 30);
  t.same(loadConfig({ SMS_TRANSPORT: 'log' }).SMS_PROVIDERS, ['log'], 'a single name as before');
  const loopback = loadConfig({
    NODE_ENV: 'production',
    APP_SECRET: 'x'.repeat(32),
    SMS_ALLOWED_COUNTRIES: '*',
    SMS_TRANSPORT: 'http',
    SMS_HTTP_URL: 'http://127.0.0.1:8088/sms',
    SMS_HTTP_SECRET: HTTP_SECRET,
  });
  t.same(loopback.SMS_PROVIDERS, ['http'], 'plain http to an adapter on loopback is fine in production');
});
