import { createHmac } from 'node:crypto';
import type { Cluster, Redis, Result } from 'ioredis';

/** One Redis server or a Redis Cluster: every script below touches keys of one slot only. */
export type RedisClient = Redis | Cluster;

// Fixed-window counters, checked and counted in one round trip, atomic across
// API instances: KEYS[i] counts up to ARGV[2i-1] in a window of ARGV[2i] ms
// (a cooldown is a budget of one). Nothing is counted unless every key has
// room, so a request one budget refuses does not use up the others (an
// attacker's refused requests do not spend the global budget). Returns {0, 0}
// when allowed, else {ms to wait, index of the key that refused}.
const SPEND_SCRIPT = `
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 1 then ttl = 1 end
    return {ttl, i}
  end
end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i]) end
end
return {0, 0}`;

// Gives back what SPEND_SCRIPT counted (same KEYS and ARGV): one of each, never below 0.
const GIVE_BACK_SCRIPT = `
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    smsSpend(numKeys: number, ...keysThenArgs: (string | number)[]): Result<[number, number], Context>;
    smsGiveBack(numKeys: number, ...keysThenArgs: (string | number)[]): Result<number, Context>;
  }
}

export interface Budget {
  key: string;
  max: number;
  windowMs: number;
}

/**
 * Keys of the limits, under `QUEUE_PREFIX:limits:`. Each phone, login or
 * address has its own hash tag, so on a Redis Cluster their keys spread over
 * the shards; the totals every send counts against (country, global) share
 * one tag so one script spends them together. Keys stand for a keyed hash of
 * the value: Redis holds no phone, login or address.
 */
export class LimitKeys {
  constructor(private readonly config: { QUEUE_PREFIX: string; APP_SECRET: string }) {}

  /** The key of one phone, login or address; keys that extend it (`:cooldown`) stay in its slot. */
  key(kind: string, value: string): string {
    return `${this.config.QUEUE_PREFIX}:limits:${kind}:{${this.hash(value)}}`;
  }

  /** A total shared by every send (one per country, the global one), all in one slot. */
  total(kind: string, value: string): string {
    return `${this.config.QUEUE_PREFIX}:limits:{totals}:${kind}:${this.hash(value)}`;
  }

  private hash(value: string): string {
    return createHmac('sha256', this.config.APP_SECRET).update(value).digest('hex').slice(0, 32);
  }
}

export function defineBudgetCommands(redis: RedisClient): void {
  // defineCommand is idempotent per name; several services may share one client.
  redis.defineCommand('smsSpend', { lua: SPEND_SCRIPT });
  redis.defineCommand('smsGiveBack', { lua: GIVE_BACK_SCRIPT });
}

/** Budgets spent together by one script: every key in one slot (LimitKeys.key or LimitKeys.total). */
export type BudgetGroup = readonly Budget[];

export type Spent = { waitMs: number; refusedBy: Budget | null };

function scriptArgs(group: BudgetGroup): [number, ...(string | number)[]] {
  return [group.length, ...group.map((b) => b.key), ...group.flatMap((b) => [b.max, b.windowMs])];
}

/**
 * Checks and counts `groups` in order, each atomically (see SPEND_SCRIPT),
 * all or none: when a group refuses, the later ones are not touched and the
 * earlier ones are given back. Between the count and the give-back a
 * concurrent request may be refused by a budget that then has room again: the
 * limits can refuse one request too many, never let one too many through.
 */
export async function spendBudgets(redis: RedisClient, groups: readonly BudgetGroup[]): Promise<Spent> {
  const spent: BudgetGroup[] = [];
  for (const group of groups) {
    const [waitMs, index] = await redis.smsSpend(...scriptArgs(group));
    if (waitMs > 0) {
      await Promise.all(spent.map((g) => giveBack(redis, g)));
      return { waitMs, refusedBy: group[index - 1] ?? null };
    }
    spent.push(group);
  }
  return { waitMs: 0, refusedBy: null };
}

/** Gives back one of each budget of a group spent before. */
export async function giveBack(redis: RedisClient, group: BudgetGroup): Promise<void> {
  await redis.smsGiveBack(...scriptArgs(group));
}

/**
 * Failures counted per key (a phone's wrong codes, a login's wrong passwords):
 * each attempt spends one before it is checked and a success gives it back,
 * so at most `max` failures are ever tried per window, even concurrently.
 * While Redis is unreachable it fails open: the attempt goes ahead (the
 * per-code attempt limit and the per-IP request limits still hold).
 */
export class FailureBudget {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: LimitKeys,
    private readonly options: { kind: string; max: number; windowMs: number; onRedisError?: (err: Error) => void },
  ) {
    defineBudgetCommands(redis);
  }

  /** 0 when the attempt may go ahead (it is counted), else the ms until the window passes. */
  async reserve(value: string): Promise<number> {
    try {
      return (await spendBudgets(this.redis, [this.budget(value)])).waitMs;
    } catch (err) {
      this.options.onRedisError?.(err as Error);
      return 0;
    }
  }

  async refund(value: string): Promise<void> {
    try {
      await giveBack(this.redis, this.budget(value));
    } catch (err) {
      this.options.onRedisError?.(err as Error);
    }
  }

  private budget(value: string): BudgetGroup {
    const { kind, max, windowMs } = this.options;
    return [{ key: this.keys.key(kind, value), max, windowMs }];
  }
}
