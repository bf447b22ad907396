// Time travel for tests of what the API remembers in Redis: moves the two
// clocks a test app lives by (this process's Date, and the expiry of its
// Redis keys) forward, instead of sleeping through the wait.
import type { Config } from '@sms/config';
import type { Teardown } from '@sms/testing';
import { Redis } from 'ioredis';

const RealDate = Date;
let offsetMs = 0;

/** Date as it reads `offsetMs` from now; dates made before the shift are still Dates. */
class ShiftedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + offsetMs);
    else super(...(args as [number])); // any of Date's own forms, passed on as they came
  }

  static override now(): number {
    return RealDate.now() + offsetMs;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof RealDate;
  }
}

/**
 * What the API sees `ms` from now: `Date` reads later (the signatures'
 * freshness checks read it) and every key under the app's QUEUE_PREFIX has
 * `ms` less to live, a key that would have expired by then being deleted
 * (Redis's own clock cannot be moved). The Date shift lasts until the end of
 * the test `t`; calls add up.
 */
export async function later(t: Teardown, config: Pick<Config, 'REDIS_URL' | 'QUEUE_PREFIX'>, ms: number) {
  if (offsetMs === 0) {
    globalThis.Date = ShiftedDate as DateConstructor;
    t.teardown(() => {
      globalThis.Date = RealDate;
      offsetMs = 0;
    });
  }
  offsetMs += ms;
  const redis = new Redis(config.REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.QUEUE_PREFIX}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        if (ttl < 0) continue; // no expiry: nothing to age
        if (ttl <= ms) await redis.del(key);
        else await redis.pexpire(key, ttl - ms);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
