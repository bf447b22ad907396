import type { Config } from '@sms/config';
import type { FastifyServerOptions } from 'fastify';

/**
 * TRUST_PROXY as Fastify's option. A hop count becomes a function of the hop:
 * Fastify 5 takes a bare number as "trust nothing" (it cannot check the
 * immediate peer), so `1` would silently ignore the load balancer's header.
 * With `hop < n` the socket and the n - 1 proxies behind it are trusted, and
 * the client is the entry the outermost proxy appended: whatever a client
 * wrote further left is never read.
 */
export function trustProxyOption(trust: Config['TRUST_PROXY']): FastifyServerOptions['trustProxy'] {
  if (typeof trust !== 'number') return trust;
  return (_address: string, hop: number) => hop < trust;
}
