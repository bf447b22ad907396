import { createHmac } from 'node:crypto';
import type { SmsMessagesRepository } from '@sms/db';
import type { Redis, Result } from 'ioredis';
import { HOUR_MS, waitFromHistory } from './limit-window';

// One round trip, atomic across API instances. Returns 0 when the send may go
// ahead (and records it), else the milliseconds until it may.
const LIMIT_SCRIPT = `
local cooldown = redis.call('PTTL', KEYS[1])
if cooldown > 0 then return cooldown end
local count = redis.call('INCR', KEYS[2])
if count == 1 then redis.call('PEXPIRE', KEYS[2], 3600000) end
if count > tonumber(ARGV[2]) then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 1 then ttl = 1 end
  return ttl
end
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    smsSendLimit(cooldownKey: string, hourKey: string, cooldownMs: number, maxPerHour: number): Result<number, Context>;
  }
}

export interface SendLimiterConfig {
  QUEUE_PREFIX: string;
  APP_SECRET: string;
  SMS_RESEND_COOLDOWN_SECONDS: number;
  SMS_MAX_PER_PHONE_PER_HOUR: number;
}

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Per-phone SMS limits (cooldown and hourly cap), counted per request in Redis,
 * for unknown phones too, so a 429 reveals nothing about which phones exist.
 * While Redis is unreachable the limits are taken from the phone's own rows in
 * sms_messages instead: the SMS actually queued stay capped (no SMS pumping
 * during an outage), requests for unknown phones are then not counted.
 */
export class SendLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly messages: Pick<SmsMessagesRepository, 'recentCreateTimes'>,
    private readonly config: SendLimiterConfig,
    private readonly onRedisError: (err: Error) => void = () => {},
  ) {
    // defineCommand is idempotent per name; several limiters may share one client.
    redis.defineCommand('smsSendLimit', { numberOfKeys: 2, lua: LIMIT_SCRIPT });
  }

  async hit(phone: string): Promise<LimitDecision> {
    let waitMs: number;
    try {
      waitMs = await this.fromRedis(phone);
    } catch (err) {
      this.onRedisError(err as Error);
      waitMs = await this.fromDatabase(phone);
    }
    return waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) } : { allowed: true };
  }

  private fromRedis(phone: string): Promise<number> {
    // Keys carry a keyed hash, not the phone: Redis holds no phone numbers.
    const key = createHmac('sha256', this.config.APP_SECRET).update(phone).digest('hex').slice(0, 32);
    const base = `${this.config.QUEUE_PREFIX}:limit:phone:${key}`;
    return this.redis.smsSendLimit(
      `${base}:cooldown`,
      `${base}:hour`,
      this.config.SMS_RESEND_COOLDOWN_SECONDS * 1000,
      this.config.SMS_MAX_PER_PHONE_PER_HOUR,
    );
  }

  private async fromDatabase(phone: string): Promise<number> {
    const now = Date.now();
    const maxPerHour = this.config.SMS_MAX_PER_PHONE_PER_HOUR;
    const recent = await this.messages.recentCreateTimes(phone, new Date(now - HOUR_MS), maxPerHour);
    return waitFromHistory(recent, now, { cooldownMs: this.config.SMS_RESEND_COOLDOWN_SECONDS * 1000, maxPerHour });
  }
}
