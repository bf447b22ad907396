import type { SmsMessagesRepository } from '@sms/db';
import { defineBudgetCommands, LimitKeys, spendBudgets, type Budget, type RedisClient, type Spent } from './budgets';
import { HOUR_MS, waitFromHistory } from './limit-window';

const MINUTE_MS = 60_000;

export interface SendLimiterConfig {
  QUEUE_PREFIX: string;
  APP_SECRET: string;
  SMS_RESEND_COOLDOWN_SECONDS: number;
  SMS_MAX_PER_PHONE_PER_HOUR: number;
  SMS_MAX_PER_ACCOUNT_PER_HOUR: number;
  SMS_MAX_PER_IP_PER_HOUR: number;
  SMS_MAX_PER_COUNTRY_PER_HOUR: number;
  SMS_GLOBAL_MAX_PER_MINUTE: number;
}

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Budgets whose tripping is an operator alert: it is what SMS pumping looks like. */
export type AlertBudget = 'country' | 'global';

export interface SendLimiterHooks {
  onRedisError?: (err: Error) => void;
  onBudgetExceeded?: (budget: AlertBudget, country: string) => void;
}

/** Who asks for an SMS: the signed-in account (PUT) and the client address (PUT and resend). */
export interface Requester {
  accountId?: string;
  ip?: string;
}

/**
 * SMS send budgets, counted in Redis so they hold across API instances:
 * per requester (account, client IP) before anything is looked up, then per
 * phone (cooldown, hourly cap), per destination country and globally per
 * minute before a code is sent. Requests for unknown phones are counted too,
 * so a 429 reveals nothing about which phones exist.
 * While Redis is unreachable the per-phone limits are taken from the phone's
 * own rows in sms_messages instead (the SMS actually queued stay capped); the
 * other budgets are skipped then (fail open, like the per-IP request limits).
 */
export class SendLimiter {
  private readonly keys: LimitKeys;
  /** The totals' keys are keyed hashes: made once each rather than per send (countries are a bounded set). */
  private readonly globalKey: string;
  private readonly countryKeys = new Map<string, string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly messages: Pick<SmsMessagesRepository, 'recentCreateTimes'>,
    private readonly config: SendLimiterConfig,
    private readonly hooks: SendLimiterHooks = {},
  ) {
    this.keys = new LimitKeys(config);
    this.globalKey = this.keys.total('global', '');
    defineBudgetCommands(redis);
  }

  /** Counts an SMS-causing request against the account's and the address's budgets. */
  async hitRequester(requester: Requester): Promise<LimitDecision> {
    const { config } = this;
    const budgets: Budget[] = [];
    if (requester.accountId) {
      budgets.push(this.hourly('account', requester.accountId, config.SMS_MAX_PER_ACCOUNT_PER_HOUR));
    }
    if (requester.ip) budgets.push(this.hourly('ip', requester.ip, config.SMS_MAX_PER_IP_PER_HOUR));
    if (budgets.length === 0) return { allowed: true };
    try {
      // Account and address: keys of their own (slots of their own on a cluster), spent all or none.
      const groups = budgets.map((budget) => [budget]);
      return decision((await spendBudgets(this.redis, groups)).waitMs);
    } catch (err) {
      this.hooks.onRedisError?.(err as Error);
      return { allowed: true };
    }
  }

  /** Counts an SMS to `phone` (in `country`, ISO alpha-2 or `001` for non-geographic) against its budgets. */
  async hit(phone: string, country: string): Promise<LimitDecision> {
    const countryKey = this.countryKey(country);
    let result: Spent;
    try {
      result = await this.fromRedis(phone, countryKey);
    } catch (err) {
      this.hooks.onRedisError?.(err as Error);
      result = { waitMs: await this.fromDatabase(phone), refusedBy: null };
    }
    const budget = result.refusedBy?.key;
    if (budget === countryKey) this.hooks.onBudgetExceeded?.('country', country);
    if (budget === this.globalKey) this.hooks.onBudgetExceeded?.('global', country);
    return decision(result.waitMs);
  }

  private countryKey(country: string): string {
    let key = this.countryKeys.get(country);
    if (key === undefined) this.countryKeys.set(country, (key = this.keys.total('country', country)));
    return key;
  }

  private fromRedis(phone: string, countryKey: string): Promise<Spent> {
    const { config } = this;
    const base = this.keys.key('phone', phone);
    const cooldownMs = config.SMS_RESEND_COOLDOWN_SECONDS * 1000;
    // The cooldown is a budget of one SMS. None of 0 ms: it would expire at once
    // anyway (PEXPIRE 0 deletes the key), so keeping it is equivalent, not caught.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: see above
    const cooldown = cooldownMs > 0 ? [{ key: `${base}:cooldown`, max: 1, windowMs: cooldownMs }] : [];
    // The phone's own keys (its slot), then the totals (theirs): a phone in its
    // cooldown never touches the totals, so refused requests do not spend them.
    return spendBudgets(this.redis, [
      [...cooldown, { key: `${base}:hour`, max: config.SMS_MAX_PER_PHONE_PER_HOUR, windowMs: HOUR_MS }],
      [
        { key: countryKey, max: config.SMS_MAX_PER_COUNTRY_PER_HOUR, windowMs: HOUR_MS },
        { key: this.globalKey, max: config.SMS_GLOBAL_MAX_PER_MINUTE, windowMs: MINUTE_MS },
      ],
    ]);
  }

  private hourly(kind: string, value: string, max: number): Budget {
    return { key: this.keys.key(kind, value), max, windowMs: HOUR_MS };
  }

  private async fromDatabase(phone: string): Promise<number> {
    const now = Date.now();
    const maxPerHour = this.config.SMS_MAX_PER_PHONE_PER_HOUR;
    const recent = await this.messages.recentCreateTimes(phone, new Date(now - HOUR_MS), maxPerHour);
    return waitFromHistory(recent, now, { cooldownMs: this.config.SMS_RESEND_COOLDOWN_SECONDS * 1000, maxPerHour });
  }
}

const decision = (waitMs: number): LimitDecision =>
  waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) } : { allowed: true };
