import { redactBody } from '@sms/core';
import type { ClaimedMessage, ClaimOutcome, SmsMessagesRepository } from '@sms/db';

export type { ClaimedMessage, ClaimOutcome };

/**
 * The worker's rules for its rows, over the sms_messages repository: a claim
 * holds the row for SMS_LEASE_MS, and the text, which carries a code, is
 * redacted once the message is final (sent or failed).
 */
export class Messages {
  constructor(
    private readonly repository: SmsMessagesRepository,
    private readonly leaseMs: number,
  ) {}

  claim(id: string, now = new Date()): Promise<ClaimOutcome> {
    return this.repository.claim(id, new Date(now.getTime() + this.leaseMs), now);
  }

  /** `provider` took it (SMS_TRANSPORT's name), as `providerMessageId` when it gave one. */
  markSent(
    message: ClaimedMessage,
    sent: { provider: string; providerMessageId: string | null },
    sentTime = new Date(),
  ): Promise<boolean> {
    return this.repository.markSent(message.id, sent, sentTime, redactBody(message.body));
  }

  markFailed(message: ClaimedMessage, error: string): Promise<boolean> {
    return this.repository.markFailed(message.id, error, redactBody(message.body));
  }

  /**
   * Back to `queued` until `dueTime`. `refundAttempt` when the provider did not
   * take the request at all (429, bad key, no balance): the attempts column
   * counts real send attempts only.
   */
  requeue(message: ClaimedMessage, error: string, dueTime: Date, refundAttempt: boolean): Promise<boolean> {
    return this.repository.requeue(message.id, error, dueTime, refundAttempt);
  }
}
