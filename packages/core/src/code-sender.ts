import type { SettingsState, SmsSettingsRepository } from '@sms/db';
import { generateCode, hashCode } from './codes';
import { errors } from './errors';
import { newId } from './ids';
import type { Requester, SendLimiter } from './send-limiter';

export interface CodeSenderConfig {
  APP_SECRET: string;
  CODE_LENGTH: number;
  CODE_TTL_SECONDS: number;
  SMS_TEMPLATE: string;
  SERVICE_NAME: string;
}

export interface CodeSenderDeps {
  smsSettings: Pick<SmsSettingsRepository, 'storeCode'>;
  config: CodeSenderConfig;
  limiter: Pick<SendLimiter, 'hit' | 'hitRequester'>;
  /** Adds the send jobs; may fail (Redis down): the outbox sweeper catches up. */
  enqueue: (messageIds: string[]) => Promise<void>;
  onEnqueueError?: (err: Error, messageId: string) => void;
}

/**
 * New verification codes and the SMS carrying them. Every SMS is written to
 * sms_messages in the same transaction as the code it carries (the outbox),
 * then enqueued.
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
  async send(userId: string, phone: string): Promise<{ code: string; settings: SettingsState }> {
    const { config } = this.deps;
    const code = generateCode(config.CODE_LENGTH);
    const messageId = newId();
    const now = new Date();
    const pending = {
      codeHash: hashCode(config.APP_SECRET, code),
      codeExpireTime: new Date(now.getTime() + config.CODE_TTL_SECONDS * 1000),
    };
    // {code} first, so a service name that holds "{code}" is sent as written.
    const body = config.SMS_TEMPLATE.replaceAll('{code}', code).replaceAll('{service}', config.SERVICE_NAME);
    await this.deps.smsSettings.storeCode(userId, phone, pending, { id: messageId, body }, now);
    await this.enqueue(messageId);
    return { code, settings: { phone, verified: false, ...pending } };
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
