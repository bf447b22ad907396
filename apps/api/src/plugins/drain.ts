import fp from 'fastify-plugin';
import { AppError, ErrorCode } from '@sms/core';
import { withTimeout } from '@sms/config';
import type { FastifyReply } from 'fastify';
import { sendError } from './errors';

/** Below close-with-grace's 25 s in server.ts (and Kubernetes' 30 s default grace), so the pools still close in order. */
const DRAIN_TIMEOUT_MS = 20_000;

/**
 * A clean drain when the app closes (SIGTERM): every request received before
 * is answered normally, and the database and Redis pools (closed by their
 * plugins' onClose hooks, which run after preClose) stay open until the last
 * of them has its answer. Requests arriving meanwhile get the API's 503 body
 * (code UNAVAILABLE, correlation_id, x-request-id), not Fastify's own
 * (return503OnClosing is off in app.ts). Registered before the services, so
 * their own preClose (a resend's background send) runs after the last request.
 */
export default fp(
  async (fastify) => {
    let closing = false;
    const inFlight = new Set<FastifyReply>();
    let drained = () => {};

    fastify.addHook('onRequest', async (request, reply) => {
      if (closing) {
        // Expected while shutting down: logged as a rejection, not as a failure.
        return sendError(reply, request, new AppError(503, ErrorCode.UNAVAILABLE, 'shutting down; retry'), {
          expected: true,
        });
      }
      inFlight.add(reply);
      // 'close' comes once the answer is written, or when the client went away.
      reply.raw.once('close', () => {
        inFlight.delete(reply);
        if (inFlight.size === 0) drained();
      });
    });

    fastify.addHook('preClose', async () => {
      closing = true;
      if (inFlight.size === 0) return;
      const empty = new Promise<void>((resolve) => (drained = resolve));
      fastify.log.info({ inFlight: inFlight.size }, 'draining: answering the requests received');
      await withTimeout(empty, DRAIN_TIMEOUT_MS, 'drain').catch(() =>
        fastify.log.warn({ inFlight: inFlight.size }, 'drain timed out; closing with requests still running'),
      );
    });
  },
  { name: 'drain' },
);
