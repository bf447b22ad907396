import { Server, type Socket } from 'node:net';
import fp from 'fastify-plugin';
import { AppError, ErrorCode } from '@sms/core';
import { withTimeout } from '@sms/config';
import type { FastifyReply } from 'fastify';
import { sendError } from './errors';

/** With LINGER_MS, below close-with-grace's 25 s in server.ts (and Kubernetes' 30 s default grace), so the pools still close in order. */
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
 * Then the API stops listening and ends each connection the way HTTP asks
 * (RFC 9112 §9.6, "tear-down"): our FIN after the last answer, while still
 * reading what the client sends (dropped) until it closes its end or LINGER_MS
 * pass. Destroying the socket instead, with a pipelining client's next
 * requests unread or still on their way, makes the kernel reset the
 * connection; the client's next write fails (EPIPE) and the answers waiting
 * unread in its buffer are lost with it.
 */
export default fp(
  async (fastify) => {
    let closing = false;
    /**
     * Requests received and not settled, by how far they are: 'handling' once
     * their handler runs, 'made' once it has its answer (onSend), 'abandoned'
     * when their client went away while the handler still ran. A client going
     * away does not end the work its request started, which the pools must
     * outlive: that ends when the handler has made its answer.
     */
    const inFlight = new Map<FastifyReply, 'received' | 'handling' | 'made' | 'abandoned'>();
    let drained = () => {};
    const connections = new Set<Socket>();

    /** Connections that take no more requests: their last answer is given, or on its way. */
    const answeredLast = new WeakSet<Socket>();
    const lingering = new WeakSet<Socket>();

    function settle(reply: FastifyReply): void {
      inFlight.delete(reply);
      if (inFlight.size === 0) drained();
    }
    /** The answer is written, or never will be. */
    function answerGone(reply: FastifyReply): void {
      const state = inFlight.get(reply);
      if (state === 'abandoned') return; // its socket's 'close' after its own
      if (state === 'handling' && !reply.sent) inFlight.set(reply, 'abandoned');
      else settle(reply);
    }

    fastify.server.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.once('close', () => {
        connections.delete(socket);
        // Answers still queued behind others on it never get written, nor a 'close' of their own.
        for (const reply of inFlight.keys()) if (reply.request.raw.socket === socket) answerGone(reply);
      });
    });

    /** FIN once everything written has left; closed when the client closes its end, or cut after LINGER_MS. */
    function endGracefully(socket: Socket): void {
      if (socket.destroyed || lingering.has(socket)) return;
      lingering.add(socket);
      answeredLast.add(socket);
      const timer = setTimeout(() => socket.destroy(), LINGER_MS);
      socket.once('close', () => clearTimeout(timer));
      // Node pauses reading while answers wait to be written, and resumes on
      // 'drain', which an ended socket never emits: end after it, or the
      // client's FIN would never be read.
      if (socket.writableNeedDrain) socket.once('drain', () => socket.end());
      else socket.end();
    }

    // A callback hook, as the app's other per-request ones: an async hook costs
    // a promise and a microtask turn on every request. Answering early = not
    // calling done().
    fastify.addHook('onRequest', (request, reply, done) => {
      const socket = request.raw.socket;
      if (socket && (answeredLast.has(socket) || socket.writableEnded)) {
        // Read on a connection being ended: its answer would come after our
        // FIN or after a `connection: close` one, so none is made; its body is
        // read and dropped, never left unread.
        request.log.info('request dropped: its connection is closing');
        request.raw.resume();
        reply.hijack();
        return;
      }
      // Every answer counts, the 503s too: one queued behind others on a
      // pipelined connection must be written before the connection ends.
      inFlight.set(reply, 'received');
      // 'close' comes once the answer is written, or when the client went away.
      reply.raw.once('close', () => answerGone(reply));
      if (!closing) return done();
      // Fastify marks answers `connection: close` while closing, so the client
      // takes its next request elsewhere; Node would then destroy the socket
      // (destroySoon) with the client's next pipelined requests unread: the
      // reset above. This connection ends gracefully instead.
      if (socket) {
        answeredLast.add(socket);
        socket.destroySoon = () => endGracefully(socket);
      }
      // Expected while shutting down: logged as a rejection, not as a failure.
      void sendError(reply, request, new AppError(503, ErrorCode.UNAVAILABLE, 'shutting down; retry'), {
        expected: true,
      });
    });

    fastify.addHook('preHandler', (request, reply, done) => {
      if (inFlight.get(reply) === 'received') inFlight.set(reply, 'handling');
      done();
    });
    fastify.addHook('onSend', (request, reply, payload, done) => {
      const state = inFlight.get(reply);
      if (state === 'abandoned') settle(reply);
      else if (state) inFlight.set(reply, 'made');
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
      // New connections are refused from here. net's close, not http's: that
      // one also destroys every idle connection, i.e. those ended below.
      if (fastify.server.listening) Server.prototype.close.call(fastify.server);
      // A request still running (the drain timed out) is cut with its connection.
      const running = new Set([...inFlight.keys()].map((reply) => reply.request.raw.socket));
      const open = [...connections];
      fastify.log.info({ connections: open.length }, 'ending the connections');
      let cut = 0;
      await Promise.all(
        open.map(async (socket) => {
          const closed = new Promise((resolve) => socket.once('close', resolve));
          if (running.has(socket)) socket.destroy();
          else endGracefully(socket);
          await closed;
          // Not closed by its client's own end: destroyed, cut after LINGER_MS or reset.
          if (!socket.readableEnded) cut++;
        }),
      );
      fastify.log.info({ connections: open.length, cut }, 'connections closed');
    });
  },
  { name: 'drain' },
);
