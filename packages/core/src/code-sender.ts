import type { SettingsState, SmsSettingsRepository } from '@sms/db';
import { generateCode, hashCode } from './codes';
import { errors } from './errors';
import { newId } from './ids';
import { ENCODING_COLUMN, type Messages, type RenderedSms } from './messages';
import type { Requester, SendLimiter } from './send-limiter';
import type { TestNumbers } from './test-numbers';

export interface CodeSenderConfig {
  APP_SECRET: string;
  CODE_LENGTH: number;
  CODE_TTL_SECONDS: number;
}

export interface CodeSenderDeps {
  smsSettings: Pick<SmsSettingsRepository, 'storeCode'>;
  config: CodeSenderConfig;
  messages: Pick<Messages, 'render'>;
  testNumbers: Pick<TestNumbers, 'codeFor'>;
  limiter: Pick<SendLimiter, 'hit' | 'hitRequester'>;
  /** Adds the send jobs; may fail (Redis down): the outbox sweeper catches up. */
  enqueue: (messageIds: string[]) => Promise<void>;
  onEnqueueError?: (err: Error, messageId: string) => void;
  /** An SMS was written to the outbox (for the segments metric). */
  onMessage?: (sms: RenderedSms, country: string) => void;
  /** A test number got its fixed code instead of an SMS (for the log and the metric). */
  onTestNumber?: (phone: string) => void;
}

/** Who a code goes to and in which language. */
export interface Recipient {
  phone: string;
  /** ISO alpha-2 (or `001`), for the metrics. */
  country: string;
  /** The language asked for (BCP 47), kept with the settings; null: none, the default text. */
  language: string | null;
}

/**
 * New verification codes and the SMS carrying them. Every SMS is written to
 * sms_messages in the same transaction as the code it carries (the outbox),
 * then enqueued. A test number (SMS_TEST_NUMBERS) gets its fixed code and no SMS.
 */
export class CodeSender {
  constructor(private readonly deps: CodeSenderDeps) {}

  /** 429 when the phone's, its country's or the global send budget is used up; counts the request otherwise. */
  async checkLimit(phone: string, country: string): Promise<void> {
    const decision = await this.deps.limiter.hit(phone, country);
    if (!decision.allowed) throw errors.tooManyRequests(decision.retryAfterSeconds);
  }

  /** 429 when the account's or the address's SMS budget is used up; counts the request otherwise. */
  async checkRequester(requester: Requester): Promise<void> {
    const decision = await this.deps.limiter.hitRequester(requester);
    if (!decision.allowed) throw errors.tooManyRequests(decision.retryAfterSeconds);
  }

  /** A new pending code for the account's phone, stored and sent; returns it and the settings as stored. */
  async send(userId: string, to: Recipient): Promise<{ code: string; settings: SettingsState }> {
    const { config } = this.deps;
    const fixed = this.deps.testNumbers.codeFor(to.phone);
    const code = fixed ?? generateCode(config.CODE_LENGTH);
    const now = new Date();
    const pending = {
      codeHash: hashCode(config.APP_SECRET, code),
      codeExpireTime: new Date(now.getTime() + config.CODE_TTL_SECONDS * 1000),
      language: to.language,
    };
    const settings = { phone: to.phone, verified: false, ...pending };
    if (fixed !== undefined) {
      await this.deps.smsSettings.storeCode(userId, to.phone, pending, null, now);
      this.deps.onTestNumber?.(to.phone);
      return { code, settings };
    }

    const sms = this.deps.messages.render(to.language, code);
    const messageId = newId();
    const message = {
      id: messageId,
      body: sms.body,
      language: sms.language,
      encoding: ENCODING_COLUMN[sms.encoding],
      segments: sms.segments,
    };
    await this.deps.smsSettings.storeCode(userId, to.phone, pending, message, now);
    this.deps.onMessage?.(sms, to.country);
    await this.enqueue(messageId);
    return { code, settings };
  }

  private async enqueue(messageId: string): Promise<void> {
    try {
      await this.deps.enqueue([messageId]);
    } catch (err) {
      // The row is committed as `queued`; the worker's outbox sweeper enqueues it.
      this.deps.onEnqueueError?.(err as Error, messageId);
    }
  }
}
