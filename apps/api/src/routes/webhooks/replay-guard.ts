import { errors } from '@sms/core';
import type { FastifyInstance } from 'fastify';

/** An id is remembered at least this long, past its signature's own expiry. */
const MIN_TTL_S = 60;

/** Gives a claimed id back, so the provider's retry of a report we failed to record is not called a replay. */
export type Release = () => Promise<void>;

/**
 * Remembers each signed delivery's id (a JWT's `jti`, a Standard Webhooks
 * `webhook-id`) in Redis until well past the moment its signature expires, so
 * a captured report cannot be played again. `claim` returns null for an id
 * seen before; without Redis a replay cannot be told apart: 503, and the
 * provider retries later.
 */
export function replayGuard(fastify: FastifyInstance) {
  const { config } = fastify;
  return async function claim(namespace: string, id: string, expiresAtS: number): Promise<Release | null> {
    const ttl = Math.max(MIN_TTL_S, expiresAtS - Math.floor(Date.now() / 1000) + 60);
    const key = `${config.QUEUE_PREFIX}:webhook-jti:${namespace}:${id}`;
    let claimed: boolean;
    try {
      claimed = (await fastify.redis.set(key, '1', 'EX', ttl, 'NX')) === 'OK';
    } catch {
      throw errors.unavailable();
    }
    if (!claimed) return null;
    return async () => {
      await fastify.redis.del(key).catch(() => undefined);
    };
  };
}
