import { createHmac } from 'node:crypto';
import type { Redis, Result } from 'ioredis';

// Fixed-window counters, checked and counted in one round trip, atomic across
// API instances. KEYS[1] is a cooldown key; KEYS[2..] are counters, with
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

const REFUND_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    smsBudgets(numKeys: number, ...keysThenArgs: (string | number)[]): Result<[number, number], Context>;
    smsReserve(key: string, max: number, windowMs: number): Result<number, Context>;
    smsRefund(key: string): Result<number, Context>;
  }
}

export interface Budget {
  key: string;
  max: number;
  windowMs: number;
}

/** Keys of the limits: under QUEUE_PREFIX, and sharing one hash tag so a multi-key script works on Redis Cluster. */
export class LimitKeys {
  constructor(private readonly config: { QUEUE_PREFIX: string; APP_SECRET: string }) {}

  /** A keyed hash in place of a phone, login or address: Redis holds none of them. */
  key(kind: string, value: string): string {
    const hash = createHmac('sha256', this.config.APP_SECRET).update(value).digest('hex').slice(0, 32);
    // A prefix with its own {tag} keeps it (Redis hashes the first {...}); else all limits share {limits}.
    return `${this.config.QUEUE_PREFIX}:{limits}:${kind}:${hash}`;
  }
}

export function defineBudgetCommands(redis: Redis): void {
  // defineCommand is idempotent per name; several services may share one client.
  redis.defineCommand('smsBudgets', { lua: BUDGETS_SCRIPT });
  redis.defineCommand('smsReserve', { numberOfKeys: 1, lua: RESERVE_SCRIPT });
  redis.defineCommand('smsRefund', { numberOfKeys: 1, lua: REFUND_SCRIPT });
}

/** Checks `budgets` after a cooldown key and counts them all, or none; see BUDGETS_SCRIPT. */
export async function spendBudgets(
  redis: Redis,
  cooldown: { key: string; ms: number },
  budgets: readonly Budget[],
): Promise<{ waitMs: number; refusedBy: Budget | 'cooldown' | null }> {
  const keys = [cooldown.key, ...budgets.map((b) => b.key)];
  const args = [cooldown.ms, ...budgets.flatMap((b) => [b.max, b.windowMs])];
  const [waitMs, index] = await redis.smsBudgets(keys.length, ...keys, ...args);
  if (waitMs <= 0) return { waitMs: 0, refusedBy: null };
  return { waitMs, refusedBy: index === 1 ? 'cooldown' : (budgets[index - 2] ?? null) };
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
    private readonly redis: Redis,
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
