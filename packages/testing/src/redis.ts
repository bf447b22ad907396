// Redis keys of each test file's own live under one prefix, removed at the end.
import { redisTarget, type RedisVariables } from '@sms/config';
import { Cluster, Redis } from 'ioredis';

async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    // One DEL per key: on a cluster node the keys of one scan are in many slots.
    if (keys.length) await Promise.all(keys.map((key) => redis.del(key)));
  } while (cursor !== '0');
}

/**
 * The variables that name a Redis (one server or a cluster), as a process's
 * environment: so REDIS_CLUSTER_NODES in the tests' environment puts every
 * test's API and worker on that cluster.
 */
export function redisEnv(config: RedisVariables): Record<string, string> {
  const env: Record<string, string | undefined> = {
    REDIS_URL: config.REDIS_URL,
    REDIS_CLUSTER_NODES: config.REDIS_CLUSTER_NODES,
    REDIS_CLUSTER_USERNAME: config.REDIS_CLUSTER_USERNAME,
    REDIS_CLUSTER_PASSWORD: config.REDIS_CLUSTER_PASSWORD,
    REDIS_CLUSTER_TLS: config.REDIS_CLUSTER_TLS ? 'true' : undefined,
    REDIS_CLUSTER_NAT_MAP: config.REDIS_CLUSTER_NAT_MAP,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * Deletes every Redis key of `prefix`: the queue's under `{prefix}:`, the
 * limits' under `prefix:`; on a cluster, on every master.
 */
export async function deleteRedisPrefix(config: RedisVariables, prefix: string): Promise<void> {
  const target = redisTarget(config);
  const client = target.cluster
    ? new Cluster(target.cluster.nodes, {
        lazyConnect: true,
        natMap: target.cluster.natMap,
        redisOptions: {
          username: target.cluster.username,
          password: target.cluster.password,
          ...(target.cluster.tls ? { tls: {} } : {}),
        },
      })
    : new Redis(target.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const servers = client instanceof Cluster ? client.nodes('master') : [client];
    for (const server of servers) {
      for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) await deleteMatching(server, pattern);
    }
  } finally {
    client.disconnect();
  }
}
