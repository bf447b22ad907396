import type { Db } from '../db';
import type { SmsMessage } from '../generated/client';
import { retryOnLockConflict } from '../retry';
import type { Statement } from '../sql';
import type { Row } from './columns';
import { update } from './update';

export type NewMessage = Pick<SmsMessage, 'id' | 'userId' | 'recipient' | 'body'>;

/** A message as the worker sends it. */
export type ClaimedMessage = Pick<SmsMessage, 'id' | 'recipient' | 'body' | 'attempts' | 'createTime'>;

export type ClaimOutcome =
  | { claimed: true; message: ClaimedMessage }
  | { claimed: false; status: 'missing' | 'sent' | 'failed' | 'queued' }
  | { claimed: false; status: 'sending'; leaseExpireTime: Date | null };

/** sms_messages.last_error is VARCHAR(1000). */
const clip = (text: string) => (text.length > 1000 ? `${text.slice(0, 997)}...` : text);

/** The INSERT of a new `queued` message, for a transaction that writes it with what it carries (the outbox). */
export function insertQueuedMessage(message: NewMessage, now = new Date()): Statement {
  return [
    `INSERT INTO sms_messages (id, user_id, recipient, body, status, attempts, due_time, create_time, update_time)
     VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?)`,
    [message.id, message.userId, message.recipient, message.body, now, now, now],
  ];
}

// Every way out of `sending` is conditional on the row still being `sending`,
// so a late worker cannot overwrite the outcome another recorded.
const STILL_SENDING = "id = ? AND status = 'sending'";

/**
 * The sms_messages rows as the worker moves them: queued → sending → sent |
 * failed, or back to queued for a retry. Plain SQL, not Prisma's model API:
 * this is the hot path of every SMS, and Prisma's query building costs the
 * worker about twice the CPU per message.
 */
export class SmsMessagesRepository {
  constructor(private readonly db: Db) {}

  /**
   * Takes the row for a worker until `leaseExpireTime`: `queued`, or `sending`
   * with a lease that ran out (its worker died). One conditional UPDATE counts
   * the attempt: of two workers racing for a row exactly one matches it; a
   * failure (pool timeout, deadlock) leaves the row as it was, never `sending`
   * under a lease nobody holds. The row is read right after it on the same
   * connection (sent together: one round trip for both), so a claim sees its own
   * update and anyone else's.
   */
  async claim(id: string, leaseExpireTime: Date, now = new Date()): Promise<ClaimOutcome> {
    // The UPDATE changes status, so InnoDB also moves the row's entry in the
    // (status, due_time) index, which other workers' claims and the sweepers'
    // locking scans lock too: under load InnoDB now and then picks a claim as
    // a deadlock victim (1213). It is one autocommit statement, rolled back
    // whole, so running it again is safe and is the documented remedy. (Sent
    // with other jobs' claims and outcomes in one transaction, sql.write runs
    // it again alone first: a victim here is this claim alone.)
    const [claimed, rows] = await retryOnLockConflict(() => this.pipelineClaim(id, leaseExpireTime, now));
    const row = rows[0];
    if (!row) return { claimed: false, status: 'missing' };
    if (claimed.affectedRows === 1) {
      const { recipient, body, attempts, create_time: createTime } = row;
      return { claimed: true, message: { id: row.id, recipient, body, attempts, createTime } };
    }
    // Final, or another worker holds it (its lease is live).
    if (row.status === 'sending') return { claimed: false, status: 'sending', leaseExpireTime: row.lease_expire_time };
    return { claimed: false, status: row.status };
  }

  /** The claim and the row as it then is: one round trip, shared with other jobs' (sql.write). */
  private pipelineClaim(id: string, leaseExpireTime: Date, now: Date) {
    return this.db.sql.write<
      [
        { affectedRows: number },
        Row<'sms_messages', 'id' | 'recipient' | 'body' | 'attempts' | 'createTime' | 'status' | 'leaseExpireTime'>[],
      ]
    >([
      update(
        'sms_messages',
        "status = 'sending', lease_expire_time = ?, attempts = attempts + 1",
        "id = ? AND (status = 'queued' OR (status = 'sending' AND (lease_expire_time < ? OR lease_expire_time IS NULL)))",
        [leaseExpireTime, id, now],
      ),
      [
        'SELECT id, recipient, body, attempts, create_time, status, lease_expire_time FROM sms_messages WHERE id = ?',
        [id],
      ],
    ]);
  }

  /** `finalBody` replaces the text (which carries a code). False when the row was no longer this worker's. */
  async markSent(
    id: string,
    sent: { provider: string; providerMessageId: string | null },
    sentTime: Date,
    finalBody: string,
  ): Promise<boolean> {
    return this.leave(
      "status = 'sent', provider = ?, provider_message_id = ?, sent_time = ?, last_error = NULL, " +
        'lease_expire_time = NULL, body = ?',
      [sent.provider, sent.providerMessageId, sentTime, finalBody],
      id,
    );
  }

  async markFailed(id: string, error: string, finalBody: string): Promise<boolean> {
    return this.leave(
      "status = 'failed', last_error = ?, lease_expire_time = NULL, body = ?",
      [clip(error), finalBody],
      id,
    );
  }

  /** Back to `queued` until `dueTime`; `refundAttempt` takes back the attempt the claim counted. */
  async requeue(id: string, error: string, dueTime: Date, refundAttempt: boolean): Promise<boolean> {
    return this.leave(
      "status = 'queued', last_error = ?, lease_expire_time = NULL, due_time = ?, attempts = attempts - ?",
      [clip(error), dueTime, refundAttempt ? 1 : 0],
      id,
    );
  }

  /** The row's status, or null when there is no row. */
  async status(id: string): Promise<SmsMessage['status'] | null> {
    const row = await this.db.prisma.smsMessage.findUnique({ where: { id }, select: { status: true } });
    return row?.status ?? null;
  }

  /**
   * An operator's retry of a message still to be sent: its attempts start
   * again from 0 and it is due now. False when the row is not `queued`.
   */
  async restartAttempts(id: string, now = new Date()): Promise<boolean> {
    const [sql, params] = update('sms_messages', 'attempts = 0, due_time = ?', "id = ? AND status = 'queued'", [
      now,
      id,
    ]);
    return (await this.db.sql.execute(sql, params)) === 1;
  }

  private async leave(set: string, values: readonly unknown[], id: string): Promise<boolean> {
    const [sql, params] = update('sms_messages', set, STILL_SENDING, [...values, id]);
    const [result] = await this.db.sql.write<[{ affectedRows: number }]>([[sql, params]]);
    return result.affectedRows === 1;
  }

  /** When the last `limit` messages to `recipient` since `since` were created, newest first. */
  async recentCreateTimes(recipient: string, since: Date, limit: number): Promise<Date[]> {
    const rows = await this.db.prisma.smsMessage.findMany({
      where: { recipient, createTime: { gte: since } },
      select: { createTime: true },
      orderBy: { createTime: 'desc' },
      take: limit,
    });
    return rows.map((r) => r.createTime);
  }

  /** Of `ids`, those whose rows are still to be sent (`queued` or `sending`): plain SQL, as the worker uses it. */
  async stillUnsent(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.sql.query<Row<'sms_messages', 'id'>>(
      `SELECT id FROM sms_messages WHERE status IN ('queued', 'sending') AND id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    return rows.map((r) => r.id);
  }

  /**
   * The outbox relay's rows for one pass: those overdue at `cutoff` (`queued`
   * ones, and `sending` ones whose lease ran out then: their worker died and
   * their job did not come back), at most `limit` of each. Taken in one short
   * transaction: locked with FOR UPDATE SKIP LOCKED (a row another relay is
   * taking is skipped, not waited for), then moved past `cutoff` (a queued
   * row becomes due now; an abandoned row's lease is set to end now, still
   * ended, so a claim takes it as before) and committed. So no other relay
   * takes them again for another `cutoff` age, and their locks are gone
   * before the caller checks their jobs: a worker claiming one of them waits
   * for this statement, not for the relay's round trips to Redis.
   */
  async takeOverdue(cutoff: Date, limit: number, now = new Date()): Promise<string[]> {
    // Plain SQL, not Prisma's interactive transaction: this runs every couple
    // of seconds in every worker, and is the worker's only use of Prisma's
    // query engine, whose WebAssembly compiler costs ~80 MB of RSS once loaded.
    // The locking scans lock the rows they return and no gaps: under
    // REPEATABLE READ they would also gap-lock the (status, due_time) index a claim
    // moves its row in, and a claim could wait on, or deadlock with, a sweep.
    return this.db.sql.interactive(async (tx) => {
      // A queued row is overdue by its due time, an abandoned one by its lease.
      // Both in (status, due_time) index order, so the scan (and its locks)
      // stops at `limit`.
      const take = async (status: 'queued' | 'sending', column: 'due_time' | 'lease_expire_time') => {
        const ids = (
          await tx.query<Row<'sms_messages', 'id'>>(
            `SELECT id FROM sms_messages WHERE status = ? AND ${column} < ? ORDER BY due_time LIMIT ?
             FOR UPDATE SKIP LOCKED`,
            [status, cutoff, limit],
          )
        ).map((r) => r.id);
        // Stryker disable next-line ConditionalExpression: it only saves a round trip; an update of no ids changes nothing
        if (ids.length) {
          const where = `status = ? AND id IN (${ids.map(() => '?').join(', ')})`;
          await tx.execute(...update('sms_messages', `${column} = ?`, where, [now, status, ...ids], now));
        }
        return ids;
      };
      return [...(await take('queued', 'due_time')), ...(await take('sending', 'lease_expire_time'))];
    }, 'READ COMMITTED');
  }
}
