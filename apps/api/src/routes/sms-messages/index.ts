import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { DeliveryStatus, MessageView, SmsStatus } from '@sms/db';
import { errorResponses, sessionSecurity } from '../../schemas/common';
import { SmsMessageList, SmsMessagesQuery } from '../../schemas/sms-messages';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Rows mapped explicitly to the API's names (never the row as it is). */
const view = (row: MessageView) => ({
  id: row.id,
  user_id: row.user_id,
  recipient: row.recipient,
  status: row.status,
  attempts: row.attempts,
  provider: row.provider,
  provider_message_id: row.provider_message_id,
  last_error: row.last_error,
  delivery_status: row.delivery_status,
  delivery_time: iso(row.delivery_time),
  delivery_error: row.delivery_error,
  create_time: row.create_time.toISOString(),
  update_time: row.update_time.toISOString(),
  sent_time: iso(row.sent_time),
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
