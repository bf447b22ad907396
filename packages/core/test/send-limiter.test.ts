// The SMS send budgets and the failure budgets against a real Redis (and,
// with Redis down, the database fallback): who is refused, for how long, and
// what the operator is told.
import t from 'tap';
import { FailureBudget, LimitKeys, spendBudgets, defineBudgetCommands } from '../src/budgets';
import { SendLimiter } from '../src/send-limiter';
import { createServices, deadRedis, liveRedis, newAccount, newPhone, to } from './fixture';

const s = await createServices(t, {
  SMS_RESEND_COOLDOWN_SECONDS: '60',
  SMS_MAX_PER_PHONE_PER_HOUR: '5',
  SMS_MAX_PER_ACCOUNT_PER_HOUR: '2',
  SMS_MAX_PER_IP_PER_HOUR: '3',
});

const limiter = (overrides: Partial<typeof s.config> = {}, hooks = {}) =>
  new SendLimiter(s.redis, s.repositories.smsMessages, { ...s.config, ...overrides }, hooks);

t.test('a phone: one SMS per cooldown, the rest of it as Retry-After', async (t) => {
  const phone = newPhone();
  t.same(await s.limiter.hit(phone, 'PL'), { allowed: true });
  const refused = await s.limiter.hit(phone, 'PL');
  t.equal(refused.allowed, false);
  t.ok(!refused.allowed && refused.retryAfterSeconds > 55 && refused.retryAfterSeconds <= 60, 'about a minute');
  t.same(await s.limiter.hit(newPhone(), 'PL'), { allowed: true }, 'another phone');
  t.same(s.alerts, [], 'a cooldown is no alert');
});

t.test('a phone: at most SMS_MAX_PER_PHONE_PER_HOUR an hour, refused ones not counted', async (t) => {
  const phone = newPhone();
  const noCooldown = limiter({ SMS_RESEND_COOLDOWN_SECONDS: 0, SMS_MAX_PER_PHONE_PER_HOUR: 2 });
  t.same(await noCooldown.hit(phone, 'PL'), { allowed: true });
  t.same(await noCooldown.hit(phone, 'PL'), { allowed: true });
  const refused = await noCooldown.hit(phone, 'PL');
  t.ok(!refused.allowed && refused.retryAfterSeconds > 3500 && refused.retryAfterSeconds <= 3600, 'about an hour');
  const roomier = limiter({ SMS_RESEND_COOLDOWN_SECONDS: 0, SMS_MAX_PER_PHONE_PER_HOUR: 3 });
  t.same(await roomier.hit(phone, 'PL'), { allowed: true }, 'the refused one was not counted');
  t.equal((await roomier.hit(phone, 'PL')).allowed, false);
});

t.test('a country and the whole service: capped, and the operator is alerted', async (t) => {
  const alerts: unknown[] = [];
  const country = limiter(
    { SMS_MAX_PER_COUNTRY_PER_HOUR: 1 },
    { onBudgetExceeded: (...a: unknown[]) => alerts.push(a) },
  );
  t.same(await country.hit(newPhone(), 'MT'), { allowed: true });
  const refused = await country.hit(newPhone(), 'MT');
  t.ok(!refused.allowed && refused.retryAfterSeconds > 3500, 'for the rest of the hour');
  t.same(await country.hit(newPhone(), 'LV'), { allowed: true }, 'another country');
  t.same(alerts, [['country', 'MT']]);

  const globalAlerts: unknown[] = [];
  const global = limiter(
    { SMS_GLOBAL_MAX_PER_MINUTE: 2, QUEUE_PREFIX: `${s.config.QUEUE_PREFIX}:g` },
    { onBudgetExceeded: (...a: unknown[]) => globalAlerts.push(a) },
  );
  await global.hit(newPhone(), 'PL');
  await global.hit(newPhone(), 'UA');
  const over = await global.hit(newPhone(), 'UA');
  t.ok(!over.allowed && over.retryAfterSeconds > 50 && over.retryAfterSeconds <= 60, 'for the rest of the minute');
  t.same(globalAlerts, [['global', 'UA']]);
  await global.hit(newPhone(), 'UA');
  t.same(globalAlerts.length, 2, 'each refusal alerts');
});

t.test('a phone refused by its cooldown spends none of the other budgets', async (t) => {
  const phone = newPhone();
  const tight = limiter({ SMS_MAX_PER_COUNTRY_PER_HOUR: 2, QUEUE_PREFIX: `${s.config.QUEUE_PREFIX}:c` });
  await tight.hit(phone, 'PL');
  for (let i = 0; i < 5; i++) t.equal((await tight.hit(phone, 'PL')).allowed, false, 'cooldown');
  t.same(await tight.hit(newPhone(), 'PL'), { allowed: true }, 'the country still has room for one');
});

t.test('requesters: per account and per address, each its own hourly budget', async (t) => {
  const accountId = await newAccount(s);
  t.same(await s.limiter.hitRequester({}), { allowed: true }, 'nobody to count');
  t.same(await s.limiter.hitRequester({ accountId }), { allowed: true });
  t.same(await s.limiter.hitRequester({ accountId }), { allowed: true });
  const refused = await s.limiter.hitRequester({ accountId });
  t.ok(!refused.allowed && refused.retryAfterSeconds > 3500 && refused.retryAfterSeconds <= 3600, 'an hour');
  t.equal((await s.limiter.hitRequester({ accountId, ip: '192.0.2.1' })).allowed, false, 'with an address too');
  t.same(await s.limiter.hitRequester({ accountId: await newAccount(s), ip: '192.0.2.1' }), { allowed: true });

  const ip = '192.0.2.2';
  for (let i = 0; i < 3; i++) t.same(await s.limiter.hitRequester({ ip }), { allowed: true });
  t.equal((await s.limiter.hitRequester({ ip })).allowed, false, 'SMS_MAX_PER_IP_PER_HOUR');
  t.same(await s.limiter.hitRequester({ ip: '192.0.2.3' }), { allowed: true }, 'another address');
});

t.test('Redis holds none of the phones, logins or addresses, only keyed hashes under QUEUE_PREFIX', async (t) => {
  const phone = newPhone();
  await s.limiter.hit(phone, 'PL');
  await s.limiter.hitRequester({ ip: '192.0.2.77' });
  const keys = await s.redis.keys(`${s.config.QUEUE_PREFIX}:limits:*`); // this limiter's, not the other tests'
  t.ok(keys.length > 0);
  for (const key of keys) {
    t.notOk(key.includes(phone.slice(1)) || key.includes('192.0.2.77'), key);
    // A value's own slot ({hash}), or the totals' shared one ({totals}).
    t.match(
      key,
      new RegExp(
        `^${s.config.QUEUE_PREFIX}:limits:([a-z-]+:\\{[0-9a-f]{32}\\}(:cooldown|:hour)?|\\{totals\\}:[a-z-]+:[0-9a-f]{32})$`,
      ),
    );
  }
  const keysOf = (secret: string) => new LimitKeys({ QUEUE_PREFIX: 'p', APP_SECRET: secret });
  t.not(keysOf('one').key('phone', phone), keysOf('two').key('phone', phone), 'the hash is keyed by APP_SECRET');
  t.not(keysOf('one').key('phone', phone), keysOf('one').key('ip', phone), 'kinds apart');
  t.not(keysOf('one').key('phone', phone), keysOf('one').key('phone', newPhone()), 'values apart');
});

t.test('Redis down: per-phone limits come from the messages in the database', async (t) => {
  const down = await createServices(t, { SMS_MAX_PER_PHONE_PER_HOUR: '2' }, { redis: await deadRedis(t) });
  const phone = newPhone();
  const userId = await newAccount(down);
  t.same(await down.limiter.hit(phone, 'PL'), { allowed: true }, 'no SMS yet');
  t.same(await down.limiter.hitRequester({ ip: '192.0.2.9', accountId: userId }), { allowed: true }, 'fail open');
  t.ok(down.redisErrors.length >= 2, 'Redis errors reported');
  await down.codes.send(userId, to(phone));
  const cooldown = await down.limiter.hit(phone, 'PL');
  t.ok(!cooldown.allowed && cooldown.retryAfterSeconds > 55 && cooldown.retryAfterSeconds <= 60, 'cooldown');
  await down.db.prisma.smsMessage.updateMany({ data: { createTime: new Date(Date.now() - 30 * 60_000) } });
  t.same(await down.limiter.hit(phone, 'PL'), { allowed: true }, 'cooldown over');
  await down.codes.send(userId, to(phone));
  await down.db.prisma.smsMessage.updateMany({
    where: { createTime: { gt: new Date(Date.now() - 60_000) } },
    data: { createTime: new Date(Date.now() - 10 * 60_000) },
  });
  const capped = await down.limiter.hit(phone, 'PL');
  t.ok(!capped.allowed && capped.retryAfterSeconds > 1700 && capped.retryAfterSeconds <= 1800, 'hourly cap');
  t.same(down.alerts, []);
  t.same(await limiterWithout(down).hit(newPhone(), 'PL'), { allowed: true }, 'no hooks: still answers');
  t.same(await limiterWithout(down).hitRequester({ ip: '192.0.2.10' }), { allowed: true }, 'requesters alike');
});

const limiterWithout = (services: typeof s) =>
  new SendLimiter(services.redis, services.repositories.smsMessages, services.config);

t.test('failure budgets: max failures per window, given back by a success, per value', async (t) => {
  const redis = await liveRedis(t, s.config);
  const keys = new LimitKeys({ QUEUE_PREFIX: `${s.config.QUEUE_PREFIX}:fb`, APP_SECRET: 'x' });
  const budget = new FailureBudget(redis, keys, { kind: 'k', max: 2, windowMs: 60_000 });
  t.equal(await budget.reserve('a'), 0);
  t.equal(await budget.reserve('a'), 0);
  const wait = await budget.reserve('a');
  t.ok(wait > 55_000 && wait <= 60_000, `the rest of the window: ${wait} ms`);
  t.equal(await budget.reserve('b'), 0, 'another value');
  await budget.refund('a');
  await budget.refund('a');
  t.equal(await budget.reserve('a'), 0, 'room again after refunds');
  await budget.refund('never-reserved');
  t.equal(await redis.exists(keys.key('k', 'never-reserved')), 0, 'a refund creates nothing');
  for (let i = 0; i < 3; i++) await budget.refund('b');
  t.equal(await budget.reserve('b'), 0);
  t.equal(await budget.reserve('b'), 0);
  t.ok((await budget.reserve('b')) > 0, 'refunds never go below zero');
  const other = new FailureBudget(redis, keys, { kind: 'other', max: 1, windowMs: 60_000 });
  t.equal(await other.reserve('a'), 0, 'kinds are counted apart');
});

t.test('failure budgets: concurrent attempts never exceed max', async (t) => {
  const keys = new LimitKeys({ QUEUE_PREFIX: `${s.config.QUEUE_PREFIX}:fc`, APP_SECRET: 'x' });
  const budget = new FailureBudget(s.redis, keys, { kind: 'k', max: 3, windowMs: 60_000 });
  const waits = await Promise.all(Array.from({ length: 20 }, () => budget.reserve('v')));
  t.equal(waits.filter((w) => w === 0).length, 3);
});

t.test('failure budgets with Redis down fail open and report it', async (t) => {
  const errors: string[] = [];
  const redis = await deadRedis(t);
  const keys = new LimitKeys({ QUEUE_PREFIX: 'p', APP_SECRET: 'x' });
  const budget = new FailureBudget(redis, keys, {
    kind: 'k',
    max: 1,
    windowMs: 1000,
    onRedisError: (e) => void errors.push(e.message),
  });
  t.equal(await budget.reserve('a'), 0);
  t.equal(await budget.reserve('a'), 0);
  await budget.refund('a');
  t.equal(errors.length, 3);
  const quiet = new FailureBudget(redis, keys, { kind: 'k', max: 1, windowMs: 1000 });
  t.equal(await quiet.reserve('a'), 0, 'no hook: still answers');
  await quiet.refund('a');
});

t.test('spendBudgets: all counted or none; says which refused', async (t) => {
  const redis = await liveRedis(t, s.config);
  defineBudgetCommands(redis);
  // One hash tag: the keys of one group share a slot, as on a cluster.
  const p = `${s.config.QUEUE_PREFIX}:{sb}`;
  const a = { key: `${p}:a`, max: 1, windowMs: 60_000 };
  const b = { key: `${p}:b`, max: 2, windowMs: 60_000 };
  t.same(await spendBudgets(redis, [[a, b]]), { waitMs: 0, refusedBy: null });
  const refused = await spendBudgets(redis, [[b, a]]);
  t.equal(refused.refusedBy, a);
  t.ok(refused.waitMs > 0 && refused.waitMs <= 60_000);
  t.equal(await redis.get(b.key), '1', 'b not counted when a refused');
  const pttl = await redis.pttl(a.key);
  t.ok(pttl > 0 && pttl <= 60_000, 'the window is set on the first count');
});

t.test('without hooks a tripped country or global budget is still refused, not an error', async (t) => {
  const quiet = (overrides: Partial<typeof s.config>) =>
    new SendLimiter(s.redis, s.repositories.smsMessages, { ...s.config, ...overrides });
  const country = quiet({ SMS_MAX_PER_COUNTRY_PER_HOUR: 1, QUEUE_PREFIX: `${s.config.QUEUE_PREFIX}:q1` });
  await country.hit(newPhone(), 'EE');
  t.equal((await country.hit(newPhone(), 'EE')).allowed, false);
  const global = quiet({ SMS_GLOBAL_MAX_PER_MINUTE: 1, QUEUE_PREFIX: `${s.config.QUEUE_PREFIX}:q2` });
  await global.hit(newPhone(), 'EE');
  t.equal((await global.hit(newPhone(), 'LT')).allowed, false);
});
