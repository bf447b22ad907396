import type { Db } from '../db';
import type { DeliveryStatus, SmsStatus } from '../generated/client';
import type { Row } from './columns';

/** One delivery report, as the provider's webhook told it, mapped to our statuses. */
export interface DeliveryReport {
  /** Our sms_messages id (the `reference` we gave the provider). */
  messageId: string;
  /** The final outcome, or null for an interim report (`sent`, `buffered`, `accepted`…). */
  deliveryStatus: DeliveryStatus | null;
  /** When the provider says the status changed. */
  statusDatetime: Date;
  /** The provider's error code or reason, for failed and expired messages. */
  error?: string | null;
  providerMessageId?: string | null;
}

/** `unknown`: no such message; `stale`: older than what the row holds, or after `delivered`. */
export type ReportOutcome =
  | { result: 'applied'; userId: string | null; recipient: string; previous: DeliveryStatus | null }
  | { result: 'stale' | 'unknown' };

export interface MessageFilter {
  userId?: string;
  status?: SmsStatus;
  deliveryStatus?: DeliveryStatus;
  skip: number;
  take: number;
}

/** What an operator sees of a message: everything but its body. */
export type MessageView = Row<
  'sms_messages',
  | 'id'
  | 'userId'
  | 'recipient'
  | 'status'
  | 'attempts'
  | 'provider'
  | 'providerMessageId'
  | 'lastError'
  | 'createTime'
  | 'updateTime'
  | 'sentTime'
  | 'deliveryStatus'
  | 'deliveryTime'
  | 'deliveryError'
>;

const VIEW_COLUMNS = `id, user_id, recipient, status, attempts, provider, provider_message_id, last_error, create_time,
  update_time, sent_time, delivery_status, delivery_time, delivery_error`;

const clip = (text: string | null | undefined) => (text ? text.slice(0, 200) : null);

/**
 * Delivery reports on sms_messages, and the operators' list of messages.
 * Reports may arrive twice and out of order: one conditional UPDATE applies a
 * report only when it is not older than the last one applied and the message is
 * not already `delivered` (a phone that got the SMS got it), so the row ends in
 * the state of the newest report whatever order they came in.
 */
export class SmsDeliveriesRepository {
  constructor(private readonly db: Db) {}

  async applyReport(report: DeliveryReport): Promise<ReportOutcome> {
    const rows = await this.db.sql.query<Row<'sms_messages', 'userId' | 'recipient' | 'deliveryStatus'>>(
      'SELECT user_id, recipient, delivery_status FROM sms_messages WHERE id = ?',
      [report.messageId],
    );
    const row = rows[0];
    if (!row) return { result: 'unknown' };
    const fresh = `id = ? AND (delivery_status IS NULL OR delivery_status <> 'delivered')
      AND (status_datetime IS NULL OR status_datetime <= ?)`;
    const providerId = report.providerMessageId ?? null;
    // An interim report only records that it was seen (its time orders later
    // ones); it never clears a final outcome.
    const [sql, params] =
      report.deliveryStatus === null
        ? [
            `UPDATE sms_messages SET status_datetime = ?, provider_message_id = COALESCE(provider_message_id, ?)
             WHERE ${fresh} AND delivery_status IS NULL`,
            [report.statusDatetime, providerId, report.messageId, report.statusDatetime],
          ]
        : [
            `UPDATE sms_messages SET delivery_status = ?, delivery_time = ?, delivery_error = ?, status_datetime = ?,
               provider_message_id = COALESCE(provider_message_id, ?)
             WHERE ${fresh}`,
            [
              report.deliveryStatus,
              report.statusDatetime,
              report.deliveryStatus === 'delivered' ? null : clip(report.error),
              report.statusDatetime,
              providerId,
              report.messageId,
              report.statusDatetime,
            ],
          ];
    const changed = await this.db.sql.execute(sql, params);
    if (changed !== 1) return { result: 'stale' };
    return { result: 'applied', userId: row.user_id, recipient: row.recipient, previous: row.delivery_status };
  }

  /** Our id of the message the provider knows as `providerMessageId` (stored when it was sent). */
  async messageIdByProviderId(providerMessageId: string): Promise<string | null> {
    const rows = await this.db.sql.query<Row<'sms_messages', 'id'>>(
      'SELECT id FROM sms_messages WHERE provider_message_id = ? ORDER BY create_time DESC LIMIT 1',
      [providerMessageId],
    );
    return rows[0]?.id ?? null;
  }

  /** Newest first, with the total matching the filter. */
  async list(filter: MessageFilter): Promise<{ rows: MessageView[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.userId !== undefined) {
      where.push('user_id = ?');
      params.push(filter.userId);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.deliveryStatus !== undefined) {
      where.push('delivery_status = ?');
      params.push(filter.deliveryStatus);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [rows, counts] = await Promise.all([
      this.db.sql.query<MessageView>(
        `SELECT ${VIEW_COLUMNS} FROM sms_messages ${clause} ORDER BY create_time DESC, id DESC LIMIT ? OFFSET ?`,
        [...params, filter.take, filter.skip],
      ),
      this.db.sql.query<{ total: number | bigint }>(`SELECT COUNT(*) AS total FROM sms_messages ${clause}`, params),
    ]);
    // Stryker disable next-line OptionalChaining: COUNT(*) without GROUP BY always returns its one row
    return { rows, total: Number(counts[0]?.total ?? 0) };
  }
}
