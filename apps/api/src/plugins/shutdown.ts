import fp from 'fastify-plugin';
import { AppError, ErrorCode } from '@sms/core';
import { sendError } from './errors';

/**
 * How long the close waits for the connections before it cuts those left: below
 * close-with-grace's 25 s in server.ts, so the pools still close in order and
 * the process exits 0.
 */
const CUT_CONNECTIONS_AFTER_MS = 15_000;

/**
 * What Fastify's own close (app.close(), on SIGTERM in server.ts) leaves to
 * the app. Fastify stops listening, closes the idle keep-alive connections
 * (forceCloseConnections: 'idle' in app.ts) and runs the plugins' onClose
 * hooks, which close the pools, only once every connection has closed, so
 * every request already being handled gets its answer first. Two things here:
 *
 * - A request arriving meanwhile (on a connection that was busy) gets the
 *   API's 503 body (code UNAVAILABLE, correlation_id, x-request-id) instead
 *   of Fastify's own (return503OnClosing is off in app.ts).
 * - Every answer given while closing says `connection: close`, so Node ends
 *   the connection once it is written. Without it a keep-alive connection
 *   that was busy when the close began stays open after its answer until its
 *   client closes it or keepAliveTimeout passes, and the close waits for it.
 *
 * Pipelined requests behind the last answer on a connection are not read:
 * HTTP lets a server close there, and clients retry idempotent requests.
 *
 * A connection can still hold the close: Node does not always count as idle
 * one whose client stopped reading its answer (a cancelled download; about
 * one SIGTERM in two in test/e2e/shutdown.test.ts). Whatever is left after
 * CUT_CONNECTIONS_AFTER_MS is cut.
 */
export default fp(
  async (fastify) => {
    let closing = false;
    fastify.addHook('preClose', (done) => {
      closing = true;
      fastify.log.info('closing: answering the requests in hand, refusing new ones');
      setTimeout(() => {
        fastify.log.warn('closing: connections still open after 15 s are cut');
        fastify.server.closeAllConnections();
      }, CUT_CONNECTIONS_AFTER_MS).unref();
      done();
    });
    // Callback hooks, as the app's other per-request ones: an async hook costs
    // a promise and a microtask turn on every request.
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!closing) return done();
      // Expected while shutting down: logged as a rejection, not as a failure.
      void sendError(reply, request, new AppError(503, ErrorCode.UNAVAILABLE, 'shutting down; retry'), {
        expected: true,
      });
    });
    fastify.addHook('onSend', (request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close');
      done();
    });
  },
  { name: 'shutdown' },
);
