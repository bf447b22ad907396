import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { AppError, ErrorCode } from '@sms/core';
import { guardRetries } from './dashboard-retry';
import { sendError } from './errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const DASHBOARD_PATH = '/admin/queues';
export const LOGIN_PATH = '/admin/login';

/**
 * Bull Board on the sms queue, for admins only: signed in through the auth
 * plugin, by x-session-id or the browser sign-in's cookie.
 */
export default async function queueDashboard(fastify: FastifyInstance) {
  async function adminsOnly(request: FastifyRequest, reply: FastifyReply) {
    try {
      await fastify.requireAdmin(request);
    } catch (err) {
      // Other failures (the database down) are left to Bull Board's own error handler.
      if (!(err instanceof AppError)) throw err;
      if (
        err.code === ErrorCode.NOT_SIGNED &&
        request.method === 'GET' &&
        request.headers.accept?.includes('text/html')
      ) {
        return reply.redirect(LOGIN_PATH, 303);
      }
      // Answered here, not thrown: Bull Board's handler would not give the API's error body.
      return sendError(reply, request, err);
    }
  }

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: [new BullMQAdapter(fastify.smsQueue)], serverAdapter });
  await fastify.register(
    async (board) => {
      board.addHook('onRequest', adminsOnly);
      guardRetries(board, fastify.smsQueue, DASHBOARD_PATH);
      await board.register(serverAdapter.registerPlugin());
    },
    { prefix: DASHBOARD_PATH },
  );
}
