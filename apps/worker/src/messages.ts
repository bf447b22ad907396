import { redactBody } from '@sms/core';
import { sqlOf, type PrismaClient, type Sql } from '@sms/db';

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

interface ClaimRow {
  id: string;
  recipient: string;
  body: string;
  attempts: number;
  create_time: Date;
  status: 'queued' | 'sending' | 'sent' | 'failed';
  lease_expire_time: Date | null;
}

/**
 * The sms_messages rows as the worker moves them: queued → sending → sent |
 * failed, or back to queued for a retry. Every transition out of `sending` is
 * conditional on the row still being `sending`, so a late worker cannot
 * overwrite the outcome another recorded.
 *
 * Plain SQL on Prisma's pool (packages/db sqlOf), not Prisma's model API:
 * this is the hot path of every SMS, and Prisma's query building cost the
 * worker about twice the CPU per message (README.md, "Benchmarks"). update_time is set
 * explicitly, as Prisma's @updatedAt set it.
 */
export class Messages {
  private readonly sql: Sql;

  constructor(
    prisma: PrismaClient,
    private readonly leaseMs: number,
  ) {
    this.sql = sqlOf(prisma);
  }

  /**
   * Takes the row for this worker: `queued`, or `sending` with a lease that ran
   * out (its worker died). One conditional UPDATE counts the attempt: of two
   * workers racing for a row exactly one matches it; a failure (pool timeout,
   * deadlock) leaves the row as it was, never `sending` under a lease nobody
   * holds. The row is read right after it on the same connection (pipelined:
   * one round trip for both), so a claim sees its own update and anyone
   * else's.
   */
  async claim(id: string, now = new Date()): Promise<ClaimOutcome> {
    const [update, rows] = await this.sql.batch<[{ affectedRows: number }, ClaimRow[]]>([
      [
        `UPDATE sms_messages
         SET status = 'sending', lease_expire_time = ?, attempts = attempts + 1, update_time = ?
         WHERE id = ? AND (status = 'queued' OR (status = 'sending' AND (lease_expire_time < ? OR lease_expire_time IS NULL)))`,
        [new Date(now.getTime() + this.leaseMs), new Date(), id, now],
      ],
      [
        'SELECT id, recipient, body, attempts, create_time, status, lease_expire_time FROM sms_messages WHERE id = ?',
        [id],
      ],
    ]);
    const row = rows[0];
    if (!row) return { claimed: false, status: 'missing' };
    if (update.affectedRows === 1) {
      const { recipient, body, attempts, create_time: createTime } = row;
      return { claimed: true, message: { id: row.id, recipient, body, attempts, createTime } };
    }
    // Final, or another worker holds it (its lease is live).
    if (row.status === 'sending') return { claimed: false, status: 'sending', leaseExpireTime: row.lease_expire_time };
    return { claimed: false, status: row.status };
  }

  async markSent(message: ClaimedMessage, providerMessageId: string | null, sentTime = new Date()): Promise<boolean> {
    const count = await this.sql.execute(
      `UPDATE sms_messages
       SET status = 'sent', provider_message_id = ?, sent_time = ?, last_error = NULL, lease_expire_time = NULL,
         body = ?, update_time = ?
       WHERE id = ? AND status = 'sending'`,
      [providerMessageId, sentTime, redactBody(message.body), new Date(), message.id],
    );
    return count === 1;
  }

  async markFailed(message: ClaimedMessage, error: string): Promise<boolean> {
    const count = await this.sql.execute(
      `UPDATE sms_messages
       SET status = 'failed', last_error = ?, lease_expire_time = NULL, body = ?, update_time = ?
       WHERE id = ? AND status = 'sending'`,
      [clip(error), redactBody(message.body), new Date(), message.id],
    );
    return count === 1;
  }

  /**
   * Back to `queued` until `dueTime`. `refundAttempt` when the provider did not
   * take the request at all (429, bad key, no balance): the attempts column
   * counts real send attempts only.
   */
  async requeue(message: ClaimedMessage, error: string, dueTime: Date, refundAttempt: boolean): Promise<boolean> {
    const count = await this.sql.execute(
      `UPDATE sms_messages
       SET status = 'queued', last_error = ?, lease_expire_time = NULL, due_time = ?,
         attempts = attempts - ?, update_time = ?
       WHERE id = ? AND status = 'sending'`,
      [clip(error), dueTime, refundAttempt ? 1 : 0, new Date(), message.id],
    );
    return count === 1;
  }
}
