import type { Socket } from 'node:net';
import fp from 'fastify-plugin';
import { AppError, ErrorCode } from '@sms/core';
import { withTimeout } from '@sms/config';
import type { FastifyReply } from 'fastify';
import { sendError } from './errors';

/** Below close-with-grace's 25 s in server.ts (and Kubernetes' 30 s default grace), so the pools still close in order. */
const DRAIN_TIMEOUT_MS = 20_000;
/** How long an ended connection waits for its client to close its end (nginx's lingering_timeout is 5 s). */
const LINGER_MS = 2_000;

/**
 * A clean drain when the app closes (SIGTERM): every request received before
 * is answered normally, and the database and Redis pools (closed by their
 * plugins' onClose hooks, which run after preClose) stay open until the last
 * of them has its answer. Requests arriving meanwhile get the API's 503 body
 * (code UNAVAILABLE, correlation_id, x-request-id), not Fastify's own
 * (return503OnClosing is off in app.ts). Registered before the services, so
 * their own preClose (a resend's background send) runs after the last request.
 *
 * Then each connection is ended the way HTTP asks (RFC 9112 §9.6, "tear-down"):
 * our FIN after the last answer, while still reading what the client sends
 * (ignored) until it closes its end or LINGER_MS pass. Destroying the socket
 * instead, with a pipelining client's next requests unread or still on their
 * way, makes the kernel reset the connection; the client's next write fails
 * (EPIPE) and the answers waiting unread in its buffer are lost with it.
 */
export default fp(
  async (fastify) => {
    let closing = false;
    const inFlight = new Set<FastifyReply>();
    let drained = () => {};
    const connections = new Set<Socket>();
    /** Set once the drain is over: ends a connection (those accepted from then on too). */
    let endConnection: ((socket: Socket) => void) | undefined;

    fastify.server.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
      endConnection?.(socket);
    });

    // A callback hook, as the app's other per-request ones: an async hook costs
    // a promise and a microtask turn on every request. Answering early = not
    // calling done().
    fastify.addHook('onRequest', (request, reply, done) => {
      if (request.raw.socket?.writableEnded) {
        // Read on a connection we have ended: no answer can reach the client,
        // so none is made; its body is read and dropped, never left unread.
        request.raw.resume();
        reply.hijack();
        return;
      }
      if (closing) {
        // Fastify marks answers `connection: close` while closing, and Node then
        // destroys the socket with the client's next pipelined requests unread:
        // the reset above. The connection stays open until its graceful end.
        reply.raw.removeHeader('connection');
        // Expected while shutting down: logged as a rejection, not as a failure.
        void sendError(reply, request, new AppError(503, ErrorCode.UNAVAILABLE, 'shutting down; retry'), {
          expected: true,
        });
        return;
      }
      inFlight.add(reply);
      // 'close' comes once the answer is written, or when the client went away.
      reply.raw.once('close', () => {
        inFlight.delete(reply);
        if (inFlight.size === 0) drained();
      });
      done();
    });

    fastify.addHook('preClose', async () => {
      closing = true;
      if (inFlight.size > 0) {
        const empty = new Promise<void>((resolve) => (drained = resolve));
        fastify.log.info({ inFlight: inFlight.size }, 'draining: answering the requests received');
        await withTimeout(empty, DRAIN_TIMEOUT_MS, 'drain').catch(() =>
          fastify.log.warn({ inFlight: inFlight.size }, 'drain timed out; closing with requests still running'),
        );
      }
      // A request still running (the drain timed out) is cut with its connection.
      const cut = new Set([...inFlight].map((reply) => reply.request.raw.socket));
      endConnection = (socket) => {
        if (cut.has(socket)) return void socket.destroy();
        socket.end();
        const timer = setTimeout(() => socket.destroy(), LINGER_MS);
        socket.once('close', () => clearTimeout(timer));
      };
      const open = [...connections];
      const closed = Promise.all(open.map((socket) => new Promise((resolve) => socket.once('close', resolve))));
      for (const socket of open) endConnection(socket);
      await closed;
    });
  },
  { name: 'drain' },
);
