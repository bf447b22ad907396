import { redactBody } from '@sms/core';
import type { PrismaClient } from '@sms/db';

/** sms_messages.last_error is VARCHAR(1000). */
const clip = (text: string) => (text.length > 1000 ? `${text.slice(0, 997)}...` : text);

export interface ClaimedMessage {
  id: string;
  recipient: string;
  body: string;
  attempts: number;
  createTime: Date;
}

export type ClaimOutcome =
  | { claimed: true; message: ClaimedMessage }
  | { claimed: false; status: 'missing' | 'sent' | 'failed' | 'queued' }
  | { claimed: false; status: 'sending'; leaseExpireTime: Date | null };

/**
 * The sms_messages rows as the worker moves them: queued → sending → sent |
 * failed, or back to queued for a retry. Every transition out of `sending` is
 * conditional on the row still being `sending`, so a late worker cannot
 * overwrite the outcome another recorded.
 */
export class Messages {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly leaseMs: number,
  ) {}

  /**
   * Takes the row for this worker: `queued`, or `sending` with a lease that ran
   * out (its worker died). One conditional UPDATE, so of two workers racing for
   * a row exactly one sees count 1. Counts the attempt.
   */
  async claim(id: string, now = new Date()): Promise<ClaimOutcome> {
    const { count } = await this.prisma.smsMessage.updateMany({
      where: {
        id,
        OR: [{ status: 'queued' }, { status: 'sending', leaseExpireTime: { lt: now } }],
      },
      data: {
        status: 'sending',
        leaseExpireTime: new Date(now.getTime() + this.leaseMs),
        attempts: { increment: 1 },
      },
    });
    const row = await this.prisma.smsMessage.findUnique({
      where: { id },
      select: { id: true, recipient: true, body: true, attempts: true, createTime: true, status: true, leaseExpireTime: true },
    });
    if (!row) return { claimed: false, status: 'missing' };
    if (count === 1) {
      const { status: _status, leaseExpireTime: _lease, ...message } = row;
      return { claimed: true, message };
    }
    if (row.status === 'sending') return { claimed: false, status: 'sending', leaseExpireTime: row.leaseExpireTime };
    return { claimed: false, status: row.status };
  }

  async markSent(message: ClaimedMessage, providerMessageId: string | null, sentTime = new Date()): Promise<boolean> {
    const { count } = await this.prisma.smsMessage.updateMany({
      where: { id: message.id, status: 'sending' },
      data: {
        status: 'sent',
        providerMessageId,
        sentTime,
        lastError: null,
        leaseExpireTime: null,
        body: redactBody(message.body),
      },
    });
    return count === 1;
  }

  async markFailed(message: ClaimedMessage, error: string): Promise<boolean> {
    const { count } = await this.prisma.smsMessage.updateMany({
      where: { id: message.id, status: 'sending' },
      data: { status: 'failed', lastError: clip(error), leaseExpireTime: null, body: redactBody(message.body) },
    });
    return count === 1;
  }

  /**
   * Back to `queued` until `dueTime`. `refundAttempt` when the provider did not
   * take the request at all (429, bad key, no balance): the attempts column
   * counts real send attempts only.
   */
  async requeue(message: ClaimedMessage, error: string, dueTime: Date, refundAttempt: boolean): Promise<boolean> {
    const { count } = await this.prisma.smsMessage.updateMany({
      where: { id: message.id, status: 'sending' },
      data: {
        status: 'queued',
        lastError: clip(error),
        leaseExpireTime: null,
        dueTime,
        ...(refundAttempt ? { attempts: { decrement: 1 } } : {}),
      },
    });
    return count === 1;
  }
}
