import type { Db } from '../db';
import { Prisma, type SmsMessage } from '../generated/client';
import { retryOnLockConflict } from '../retry';
import type { Row } from './columns';

export type NewMessage = Pick<SmsMessage, 'id' | 'userId' | 'recipient' | 'body'> &
  Partial<Pick<SmsMessage, 'language' | 'encoding' | 'segments'>>;

/** A message as the worker sends it. */
export type ClaimedMessage = Pick<SmsMessage, 'id' | 'recipient' | 'body' | 'language' | 'attempts' | 'createTime'>;

export type ClaimOutcome =
  | { claimed: true; message: ClaimedMessage }
  | { claimed: false; status: 'missing' | 'sent' | 'failed' | 'queued' }
  | { claimed: false; status: 'sending'; leaseExpireTime: Date | null };

/** sms_messages.last_error is VARCHAR(1000). */
const clip = (text: string) => (text.length > 1000 ? `${text.slice(0, 997)}...` : text);

type ClaimedRow = Row<
  'sms_messages',
  'id' | 'recipient' | 'body' | 'language' | 'attempts' | 'createTime' | 'status' | 'leaseExpireTime'
>;

/**
 * The sms_messages rows as the worker moves them: queued → sending → sent |
 * failed, or back to queued for a retry. Every move is one conditional UPDATE,
 * so of two workers racing for a row exactly one wins. The worker's statements
 * are hand-written (docs/database.md): the first use of each query shape of
 * Prisma's model API compiles it, holding the event loop for tenths of a
 * second, long enough for the other jobs' provider calls in flight to time out.
 */
export class SmsMessagesRepository {
  constructor(private readonly db: Pick<Db, 'prisma'>) {}

  /**
   * Takes the row for a worker until `leaseExpireTime`: `queued`, or `sending`
   * with a lease that ran out (its worker died). One conditional UPDATE counts
   * the attempt: of two workers racing for a row exactly one matches it; a
   * failure (pool timeout, deadlock) leaves the row as it was, never `sending`
   * under a lease nobody holds. The row is read after it, so a claim sees its
   * own update and anyone else's.
   */
  async claim(id: string, leaseExpireTime: Date, now = new Date()): Promise<ClaimOutcome> {
    const { prisma } = this.db;
    // The UPDATE changes status, so InnoDB also moves the row's entry in the
    // (status, due_time) index, which other workers' claims and the sweepers'
    // locking scans lock too: under load InnoDB now and then picks a claim as
    // a deadlock victim (1213). It is one autocommit statement, rolled back
    // whole, so running it again is safe and is the documented remedy.
    const claimed = await retryOnLockConflict(
      () => prisma.$executeRaw`
        UPDATE sms_messages
        SET status = 'sending', lease_expire_time = ${leaseExpireTime}, attempts = attempts + 1, update_time = ${now}
        WHERE id = ${id}
          AND (status = 'queued' OR (status = 'sending' AND (lease_expire_time < ${now} OR lease_expire_time IS NULL)))`,
    );
    const [row] = await prisma.$queryRaw<ClaimedRow[]>`
      SELECT id, recipient, body, language, attempts, create_time, status, lease_expire_time FROM sms_messages
      WHERE id = ${id}`;
    if (!row) return { claimed: false, status: 'missing' };
    if (claimed === 1) {
      const { recipient, body, language, attempts, create_time: createTime } = row;
      return { claimed: true, message: { id: row.id, recipient, body, language, attempts, createTime } };
    }
    // Final, or another worker holds it (its lease is live).
    if (row.status === 'sending') return { claimed: false, status: 'sending', leaseExpireTime: row.lease_expire_time };
    return { claimed: false, status: row.status };
  }

  // Every way out of `sending` is conditional on the row still being
  // `sending`, so a late worker cannot overwrite the outcome another recorded.
  // Each returns false when the row was no longer this worker's.

  /** `finalBody` replaces the text (which carries a code). */
  async markSent(
    id: string,
    sent: { provider: string; providerMessageId: string | null },
    sentTime: Date,
    finalBody: string,
  ): Promise<boolean> {
    const changed = await this.db.prisma.$executeRaw`
      UPDATE sms_messages
      SET status = 'sent', provider = ${sent.provider}, provider_message_id = ${sent.providerMessageId},
        sent_time = ${sentTime}, last_error = NULL, lease_expire_time = NULL, body = ${finalBody},
        update_time = ${new Date()}
      WHERE id = ${id} AND status = 'sending'`;
    return changed === 1;
  }

  async markFailed(id: string, error: string, finalBody: string): Promise<boolean> {
    const changed = await this.db.prisma.$executeRaw`
      UPDATE sms_messages
      SET status = 'failed', last_error = ${clip(error)}, lease_expire_time = NULL, body = ${finalBody},
        update_time = ${new Date()}
      WHERE id = ${id} AND status = 'sending'`;
    return changed === 1;
  }

  /** Back to `queued` until `dueTime`; `refundAttempt` takes back the attempt the claim counted. */
  async requeue(id: string, error: string, dueTime: Date, refundAttempt: boolean): Promise<boolean> {
    const changed = await this.db.prisma.$executeRaw`
      UPDATE sms_messages
      SET status = 'queued', last_error = ${clip(error)}, lease_expire_time = NULL, due_time = ${dueTime},
        attempts = attempts - ${refundAttempt ? 1 : 0}, update_time = ${new Date()}
      WHERE id = ${id} AND status = 'sending'`;
    return changed === 1;
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
    const { count } = await this.db.prisma.smsMessage.updateMany({
      where: { id, status: 'queued' },
      data: { attempts: 0, dueTime: now },
    });
    return count === 1;
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

  /** Of `ids`, those whose rows are still to be sent (`queued` or `sending`): the sweeper's, hand-written as the claim. */
  async stillUnsent(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.prisma.$queryRaw<Row<'sms_messages', 'id'>[]>`
      SELECT id FROM sms_messages WHERE status IN ('queued', 'sending') AND id IN (${Prisma.join(ids)})`;
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
  takeOverdue(cutoff: Date, limit: number, now = new Date()): Promise<string[]> {
    // READ COMMITTED: the locking scans lock the rows they return and no gaps.
    // Under REPEATABLE READ they would also gap-lock the (status, due_time)
    // index a claim moves its row in, and a claim could wait on, or deadlock
    // with, a sweep. Both scans go in (status, due_time) index order, so the
    // scan (and its locks) stops at `limit`. Hand-written: Prisma's model API
    // has no FOR UPDATE SKIP LOCKED, and the updates are the worker's, as the claim.
    return this.db.prisma.$transaction(
      async (tx) => {
        const ids = (rows: Row<'sms_messages', 'id'>[]) => rows.map((r) => r.id);
        const queued = ids(
          await tx.$queryRaw<Row<'sms_messages', 'id'>[]>`
            SELECT id FROM sms_messages WHERE status = 'queued' AND due_time < ${cutoff}
            ORDER BY due_time LIMIT ${limit} FOR UPDATE SKIP LOCKED`,
        );
        const abandoned = ids(
          await tx.$queryRaw<Row<'sms_messages', 'id'>[]>`
            SELECT id FROM sms_messages WHERE status = 'sending' AND lease_expire_time < ${cutoff}
            ORDER BY due_time LIMIT ${limit} FOR UPDATE SKIP LOCKED`,
        );
        // Stryker disable next-line ConditionalExpression: it only saves a round trip; an update of no ids changes nothing
        if (queued.length) {
          await tx.$executeRaw`
            UPDATE sms_messages SET due_time = ${now}, update_time = ${now}
            WHERE status = 'queued' AND id IN (${Prisma.join(queued)})`;
        }
        // Stryker disable next-line ConditionalExpression: as above
        if (abandoned.length) {
          await tx.$executeRaw`
            UPDATE sms_messages SET lease_expire_time = ${now}, update_time = ${now}
            WHERE status = 'sending' AND id IN (${Prisma.join(abandoned)})`;
        }
        return [...queued, ...abandoned];
      },
      { isolationLevel: 'ReadCommitted' },
    );
  }
}
