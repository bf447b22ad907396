import { createHmac } from 'node:crypto';
import type { Cluster, Redis, Result } from 'ioredis';

/** One Redis server or a Redis Cluster: every script below touches keys of one slot only. */
export type RedisClient = Redis | Cluster;

// Fixed-window counters, checked and counted in one round trip, atomic across
// API instances. All keys share one hash tag (one cluster slot). KEYS[1] is a
// cooldown key; KEYS[2..] are counters, with
// ARGV[2i-2] the maximum and ARGV[2i-1] the window (ms) of KEYS[i]. Nothing is
// counted unless every budget has room, so a request one budget refuses does
// not use up the others (an attacker's refused requests do not spend the
// global budget). Returns {0, 0} when allowed, else {ms to wait, index of the
// key that refused}.
const BUDGETS_SCRIPT = `
local cooldown = redis.call('PTTL', KEYS[1])
if cooldown > 0 then return {cooldown, 1} end
for i = 2, #KEYS do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0')
  if n >= tonumber(ARGV[2 * i - 2]) then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 1 then ttl = 1 end
    return {ttl, i}
  end
end
for i = 2, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i - 1]) end
end
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return {0, 0}`;

// Counts first, then decides, so concurrent requests cannot overshoot: at most
// `max` get through per window. Returns 0 when allowed, else ms to wait.
const RESERVE_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 1 then ttl = 1 end
  return ttl
end
return 0`;

// Gives back what BUDGETS_SCRIPT counted (same KEYS and ARGV): one of each
// counter, never below 0, and the cooldown it set.
const GIVE_BACK_SCRIPT = `
for i = 2, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
if tonumber(ARGV[1]) > 0 then redis.call('DEL', KEYS[1]) end
return 0`;

const REFUND_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    smsBudgets(numKeys: number, ...keysThenArgs: (string | number)[]): Result<[number, number], Context>;
    smsGiveBack(numKeys: number, ...keysThenArgs: (string | number)[]): Result<number, Context>;
    smsReserve(key: string, max: number, windowMs: number): Result<number, Context>;
    smsRefund(key: string): Result<number, Context>;
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
  redis.defineCommand('smsBudgets', { lua: BUDGETS_SCRIPT });
  redis.defineCommand('smsGiveBack', { lua: GIVE_BACK_SCRIPT });
  redis.defineCommand('smsReserve', { numberOfKeys: 1, lua: RESERVE_SCRIPT });
  redis.defineCommand('smsRefund', { numberOfKeys: 1, lua: REFUND_SCRIPT });
}

/** Budgets spent together by one script: every key in one slot (LimitKeys.key or LimitKeys.total). */
export interface BudgetGroup {
  /** Refuses while it exists, and is set for `ms` when the group is spent; ms 0: no cooldown. */
  cooldown?: { key: string; ms: number };
  budgets: readonly Budget[];
}

export type Spent = { waitMs: number; refusedBy: Budget | 'cooldown' | null };

function scriptArgs(group: BudgetGroup): (string | number)[] {
  // Without a cooldown the script still needs a key in the group's slot: one never set.
  const cooldown = group.cooldown ?? { key: `${group.budgets[0]!.key}:cooldown`, ms: 0 };
  const keys = [cooldown.key, ...group.budgets.map((b) => b.key)];
  return [keys.length, ...keys, cooldown.ms, ...group.budgets.flatMap((b) => [b.max, b.windowMs])];
}

/**
 * Checks and counts `groups` in order, each atomically (see BUDGETS_SCRIPT),
 * all or none: when a group refuses, the later ones are not touched and the
 * earlier ones are given back. Between the count and the give-back a
 * concurrent request may be refused by a budget that then has room again: the
 * limits can refuse one request too many, never let one too many through.
 */
export async function spendBudgets(redis: RedisClient, groups: readonly BudgetGroup[]): Promise<Spent> {
  const spent: BudgetGroup[] = [];
  for (const group of groups) {
    const [waitMs, index] = await redis.smsBudgets(...(scriptArgs(group) as [number, ...string[]]));
    if (waitMs > 0) {
      await Promise.all(spent.map((g) => redis.smsGiveBack(...(scriptArgs(g) as [number, ...string[]]))));
      return { waitMs, refusedBy: index === 1 ? 'cooldown' : (group.budgets[index - 2] ?? null) };
    }
    spent.push(group);
  }
  return { waitMs: 0, refusedBy: null };
}

/**
 * Failures counted per key (a phone's wrong codes, a login's wrong passwords):
 * each attempt reserves one before it is checked and a success gives it back,
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
    const { kind, max, windowMs } = this.options;
    try {
      return await this.redis.smsReserve(this.keys.key(kind, value), max, windowMs);
    } catch (err) {
      this.options.onRedisError?.(err as Error);
      return 0;
    }
  }

  async refund(value: string): Promise<void> {
    try {
      await this.redis.smsRefund(this.keys.key(this.options.kind, value));
    } catch (err) {
      this.options.onRedisError?.(err as Error);
    }
  }
}
