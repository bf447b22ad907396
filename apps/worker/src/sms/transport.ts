import type { ProviderName } from '@sms/config';
import type { Logger } from 'pino';

/** One SMS as the worker hands it to a transport. */
export interface OutgoingSms {
  /** The sms_messages id; sent with the SMS (MessageBird's `reference`, Bird's `metadata`) so delivery reports find the row. */
  id: string;
  /** E.164, with the leading `+`. */
  to: string;
  body: string;
  /** The row's attempt number (1, the default, for the first send); the http provider's webhook-id carries it. */
  attempt?: number;
  /** BCP 47, when the message has one; the http provider sends it along. */
  language?: string;
}

export interface SendResult {
  /** The provider's id for the message, or null for transports that have none. */
  providerMessageId: string | null;
}

export interface Transport {
  /** `bench`: the benchmark's fake provider (bench/worker-main.ts), never configurable. */
  readonly name: ProviderName | 'bench';
  /** Resolves only when the provider took the message; otherwise rejects, preferably with a SendError. */
  send(sms: OutgoingSms): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * What the worker should do about a failed send:
 * - `retry`: try again with backoff (network trouble, 5xx, code 99, false success);
 * - `permanent`: can never succeed, fail the message now;
 * - `rate_limited`: the provider asked us to slow down; wait, using no attempt;
 * - `operator`: bad key or no balance; nothing a retry fixes until a person acts,
 *   so pause all sending and alert, using no attempt.
 */
export type FailureKind = 'retry' | 'permanent' | 'rate_limited' | 'operator';

export interface SendErrorDetails {
  kind: FailureKind;
  /** A short, bounded label for metrics and logs: `http_500`, `code_9`, `timeout`, `bad_key`… */
  reason: string;
  /** True when the provider may have taken the message although we saw a failure. */
  ambiguous?: boolean;
  statusCode?: number;
  providerCode?: number | string;
  /** From Retry-After, for `rate_limited`. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class SendError extends Error {
  override name = 'SendError';
  readonly kind: FailureKind;
  readonly reason: string;
  readonly ambiguous: boolean;
  readonly statusCode: number | undefined;
  readonly providerCode: number | string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: SendErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.reason = details.reason;
    this.ambiguous = details.ambiguous ?? false;
    this.statusCode = details.statusCode;
    this.providerCode = details.providerCode;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * The request may have reached the provider although we saw a failure: a retry
 * may send a second SMS, which beats none; our message id, sent along with
 * every request, lets delivery reports tell the two apart. Returns `error`.
 */
export function warnIfAmbiguous(logger: Logger, provider: string, sms: OutgoingSms, error: SendError): SendError {
  if (error.ambiguous) {
    logger.warn(
      { messageId: sms.id, reason: error.reason, err: error.message, ambiguous: true },
      `${provider} outcome unknown: the SMS may have been sent; retrying`,
    );
  }
  return error;
}
