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
   * out (its worker died). Reads, then one conditional UPDATE that counts the
   * attempt: of two workers racing for a row exactly one sees count 1, and a
   * failure (pool timeout, deadlock) leaves the row as it was, never `sending`
   * under a lease nobody holds.
   */
  async claim(id: string, now = new Date()): Promise<ClaimOutcome> {
    const row = await this.prisma.smsMessage.findUnique({
      where: { id },
      select: {
        id: true,
        recipient: true,
        body: true,
        attempts: true,
        createTime: true,
        status: true,
        leaseExpireTime: true,
      },
    });
    if (!row) return { claimed: false, status: 'missing' };
    if (row.status === 'sent' || row.status === 'failed') return { claimed: false, status: row.status };
    const leaseLive = row.status === 'sending' && row.leaseExpireTime !== null && row.leaseExpireTime >= now;
    if (leaseLive) return { claimed: false, status: 'sending', leaseExpireTime: row.leaseExpireTime };

    const { count } = await this.prisma.smsMessage.updateMany({
      where: {
        id,
        OR: [
          { status: 'queued' },
          { status: 'sending', leaseExpireTime: { lt: now } },
          { status: 'sending', leaseExpireTime: null },
        ],
      },
      data: {
        status: 'sending',
        leaseExpireTime: new Date(now.getTime() + this.leaseMs),
        attempts: { increment: 1 },
      },
    });
    if (count === 0) {
      // Another worker claimed it between the read and the update.
      const current = await this.prisma.smsMessage.findUnique({
        where: { id },
        select: { status: true, leaseExpireTime: true },
      });
      if (!current) return { claimed: false, status: 'missing' };
      if (current.status === 'sending')
        return { claimed: false, status: 'sending', leaseExpireTime: current.leaseExpireTime };
      return { claimed: false, status: current.status };
    }
    const { status: _status, leaseExpireTime: _lease, ...message } = row;
    return { claimed: true, message: { ...message, attempts: message.attempts + 1 } };
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
