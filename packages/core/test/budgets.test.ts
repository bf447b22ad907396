// The limits' keys and their spending on a real Redis: keys of different
// phones in different cluster slots, each script's keys in one, and budgets in
// several slots spent all or none.
import { randomBytes } from 'node:crypto';
import { baseConfig, deleteRedisPrefix, uniqueName } from '@sms/testing';
import { Redis } from 'ioredis';
import t from 'tap';
import { defineBudgetCommands, LimitKeys, spendBudgets } from '../src/budgets';

/** What Redis Cluster hashes: the first non-empty {…} of the key, else the whole key. */
const hashTag = (key: string) => /\{([^}]+)\}/.exec(key)?.[1] ?? key;

t.test('each phone has a slot of its own; a phone’s keys share it; the totals share one', async (t) => {
  const keys = new LimitKeys({ QUEUE_PREFIX: 'sms', APP_SECRET: 's'.repeat(32) });
  const [a, b] = [keys.key('phone', '+380501234567'), keys.key('phone', '+380501234568')];
  t.not(hashTag(a), hashTag(b), 'two phones: two tags');
  t.equal(hashTag(`${a}:cooldown`), hashTag(`${a}:hour`), 'one phone’s cooldown and hourly count: one tag');
  t.equal(hashTag(keys.total('country', 'UA')), hashTag(keys.total('global', '')), 'country and global: one tag');
  t.notMatch(a, /380501234567/, 'the phone itself is not in the key');
  t.match(a, /^sms:limits:phone:\{[0-9a-f]{32}\}$/);
});

t.test('budgets in two slots are spent all or none: a refusal gives back what was counted', async (t) => {
  const config = baseConfig();
  const prefix = uniqueName('budgets');
  const redis = new Redis(config.REDIS_URL);
  t.teardown(async () => {
    await deleteRedisPrefix(config, prefix);
    redis.disconnect();
  });
  defineBudgetCommands(redis);
  const keys = new LimitKeys({ QUEUE_PREFIX: prefix, APP_SECRET: randomBytes(16).toString('hex') });
  const phone = keys.key('phone', '+380501234567');
  const total = keys.total('global', '');
  // A phone's cooldown (a budget of one) and hourly count, then a total in a slot of its own.
  const groups = [
    [
      { key: `${phone}:cooldown`, max: 1, windowMs: 60_000 },
      { key: `${phone}:hour`, max: 5, windowMs: 3_600_000 },
    ],
    [{ key: total, max: 1, windowMs: 60_000 }],
  ];

  t.same(await spendBudgets(redis, groups), { waitMs: 0, refusedBy: null }, 'the first one passes');
  t.equal(await redis.get(`${phone}:hour`), '1');
  t.ok((await redis.pttl(`${phone}:cooldown`)) > 0, 'and starts the phone’s cooldown');

  // Another phone: its own group passes, then the global total (max 1) refuses.
  const other = keys.key('phone', '+380501234568');
  const otherGroup = groups[0]!.map((b) => ({ ...b, key: b.key.replace(phone, other) }));
  const refused = await spendBudgets(redis, [otherGroup, groups[1]!]);
  t.equal(refused.refusedBy, groups[1]![0], 'refused by the global total');
  t.ok(refused.waitMs > 0 && refused.waitMs <= 60_000, 'for the rest of its window');
  t.equal(await redis.get(`${other}:hour`), '0', 'the other phone’s count given back');
  t.equal(await redis.get(`${other}:cooldown`), '0', 'and its cooldown');
  t.equal(await redis.get(total), '1', 'the total counted once');

  // The first phone in its cooldown never reaches the total.
  await redis.del(total);
  const cooling = await spendBudgets(redis, groups);
  t.equal(cooling.refusedBy, groups[0]![0], 'refused by the cooldown');
  t.ok(cooling.waitMs > 55_000 && cooling.waitMs <= 60_000, 'for the rest of it');
  t.equal(await redis.exists(total), 0, 'a request refused by the cooldown spends no total');
  t.same(await spendBudgets(redis, [otherGroup]), { waitMs: 0, refusedBy: null }, 'a given-back cooldown has room');
});
