import type { FastifyReply } from 'fastify';

/**
 * Headers every answer of the API carries, errors and 404s included. nosniff:
 * a browser must take a JSON answer (which may echo what a caller sent) for
 * what its Content-Type says, never guess it is HTML or a script.
 */
export const NOSNIFF = { 'x-content-type-options': 'nosniff' } as const;

/** The request's id (a caller's, or one made for it) and NOSNIFF on `reply`. */
export function setAnswerHeaders(reply: FastifyReply, requestId: string): void {
  reply.header('x-request-id', requestId).headers(NOSNIFF);
}
