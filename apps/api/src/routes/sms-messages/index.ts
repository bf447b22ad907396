import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ENCODING_COLUMN } from '@sms/core';
import type { DeliveryStatus, MessageView, SmsStatus } from '@sms/db';
import { errorResponses, sessionSecurity } from '../../schemas/common';
import { SmsMessageList, SmsMessagesQuery } from '../../schemas/sms-messages';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const ENCODING_NAME = { [ENCODING_COLUMN['GSM-7']]: 'GSM-7', [ENCODING_COLUMN['UCS-2']]: 'UCS-2' } as const;

/** Rows mapped explicitly to the API's names (never the row as it is). */
const view = (row: MessageView) => ({
  id: row.id,
  user_id: row.userId,
  recipient: row.recipient,
  status: row.status,
  attempts: row.attempts,
  provider: row.provider,
  provider_message_id: row.providerMessageId,
  last_error: row.lastError,
  delivery_status: row.deliveryStatus,
  delivery_time: iso(row.deliveryTime),
  delivery_error: row.deliveryError,
  create_time: row.createTime.toISOString(),
  update_time: row.updateTime.toISOString(),
  sent_time: iso(row.sentTime),
  language: row.language,
  encoding: row.encoding === null ? null : ENCODING_NAME[row.encoding],
  segments: row.segments,
});

const smsMessages: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/sms_messages',
    {
      onRequest: fastify.requireAdmin,
      schema: {
        tags: ['sms messages'],
        operationId: 'listSmsMessages',
        summary: 'Every SMS and its fate, newest first (admins)',
        security: sessionSecurity,
        querystring: SmsMessagesQuery,
        response: { 200: SmsMessageList, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const q = request.query;
      const { rows, total } = await fastify.deliveries.repository.list({
        userId: q.user_id,
        status: q.status as SmsStatus | undefined,
        deliveryStatus: q.delivery_status as DeliveryStatus | undefined,
        skip: q.skip,
        take: q.take,
      });
      return { data: rows.map(view), total };
    },
  );
};

export default smsMessages;
