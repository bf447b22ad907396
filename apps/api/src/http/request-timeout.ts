import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';

/**
 * A request (headers and body) must arrive within `seconds`, or Node answers
 * through the clientError handler (408 REQUEST_TIMEOUT) and closes the socket:
 * a client trickling its body a byte at a time cannot hold a socket for long.
 * Node checks for overdue requests every connectionsCheckingInterval (30 s by
 * default, so a 30 s limit would cut at up to 60 s): once a second instead.
 * headersTimeout may not exceed requestTimeout, or the latter never applies
 * to slow headers.
 */
export function requestTimeoutOptions(seconds: number): Pick<FastifyHttpOptions<Server>, 'requestTimeout' | 'http'> {
  const ms = seconds * 1000;
  return {
    requestTimeout: ms,
    http: { connectionsCheckingInterval: Math.min(1000, ms), headersTimeout: ms, requestTimeout: ms },
  };
}
