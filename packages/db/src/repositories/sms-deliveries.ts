import type { Db } from '../db';
import type { DeliveryStatus, Prisma, SmsMessage, SmsStatus } from '../generated/client';

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

/** What an operator sees of a message: everything but its body and the worker's bookkeeping. */
const VIEW = {
  id: true,
  userId: true,
  recipient: true,
  status: true,
  attempts: true,
  provider: true,
  providerMessageId: true,
  lastError: true,
  createTime: true,
  updateTime: true,
  sentTime: true,
  deliveryStatus: true,
  deliveryTime: true,
  deliveryError: true,
  language: true,
  encoding: true,
  segments: true,
} as const satisfies Prisma.SmsMessageSelect;

export type MessageView = Pick<SmsMessage, keyof typeof VIEW>;

const clip = (text: string | null | undefined) => (text ? text.slice(0, 200) : null);

/**
 * Delivery reports on sms_messages, and the operators' list of messages.
 * Reports may arrive twice and out of order: one conditional UPDATE applies a
 * report only when it is not older than the last one applied and the message is
 * not already `delivered` (a phone that got the SMS got it), so the row ends in
 * the state of the newest report whatever order they came in.
 */
export class SmsDeliveriesRepository {
  constructor(private readonly db: Pick<Db, 'prisma'>) {}

  async applyReport(report: DeliveryReport): Promise<ReportOutcome> {
    const { prisma } = this.db;
    const row = await prisma.smsMessage.findUnique({
      where: { id: report.messageId },
      select: { userId: true, recipient: true, deliveryStatus: true },
    });
    if (!row) return { result: 'unknown' };
    const providerId = report.providerMessageId ?? null;
    const at = report.statusDatetime;
    const now = new Date();
    // Hand-written (docs/database.md): the provider's id is kept when the row
    // has one (COALESCE), in the same statement as the conditions, which
    // Prisma's updateMany cannot say. An interim report only records that it
    // was seen (its time orders later ones); it never clears a final outcome.
    const changed =
      report.deliveryStatus === null
        ? await prisma.$executeRaw`
            UPDATE sms_messages
            SET status_datetime = ${at}, provider_message_id = COALESCE(provider_message_id, ${providerId}),
              update_time = ${now}
            WHERE id = ${report.messageId} AND delivery_status IS NULL
              AND (status_datetime IS NULL OR status_datetime <= ${at})`
        : await prisma.$executeRaw`
            UPDATE sms_messages
            SET delivery_status = ${report.deliveryStatus}, delivery_time = ${at},
              delivery_error = ${report.deliveryStatus === 'delivered' ? null : clip(report.error)},
              status_datetime = ${at}, provider_message_id = COALESCE(provider_message_id, ${providerId}),
              update_time = ${now}
            WHERE id = ${report.messageId} AND (delivery_status IS NULL OR delivery_status <> 'delivered')
              AND (status_datetime IS NULL OR status_datetime <= ${at})`;
    if (changed !== 1) return { result: 'stale' };
    return { result: 'applied', userId: row.userId, recipient: row.recipient, previous: row.deliveryStatus };
  }

  /** Our id of the message the provider knows as `providerMessageId` (stored when it was sent). */
  async messageIdByProviderId(providerMessageId: string): Promise<string | null> {
    const row = await this.db.prisma.smsMessage.findFirst({
      where: { providerMessageId },
      orderBy: { createTime: 'desc' },
      select: { id: true },
    });
    return row?.id ?? null;
  }

  /** Newest first, with the total matching the filter. */
  async list(filter: MessageFilter): Promise<{ rows: MessageView[]; total: number }> {
    const { userId, status, deliveryStatus, skip, take } = filter;
    const where = { userId, status, deliveryStatus };
    const { smsMessage } = this.db.prisma;
    const [rows, total] = await Promise.all([
      smsMessage.findMany({ where, select: VIEW, orderBy: [{ createTime: 'desc' }, { id: 'desc' }], skip, take }),
      smsMessage.count({ where }),
    ]);
    return { rows, total };
  }
}
