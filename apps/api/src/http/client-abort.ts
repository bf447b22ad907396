import type { FastifyRequest } from 'fastify';

/**
 * The client went away before its body was in (it gave up, or the request
 * timeout cut it off): Node fails the body stream with ECONNRESET "aborted".
 * Not the service's error, and not a database outage (ECONNRESET is also what
 * a lost database connection says), so nothing is answered or alerted.
 */
export function isClientAbort(err: unknown, request: FastifyRequest): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' && !request.raw.complete && (request.raw.destroyed || request.raw.readableAborted);
}
