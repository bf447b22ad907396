// `pnpm redis:cluster`: a throwaway Redis Cluster on loopback (3 masters, 3
// replicas, free ports, a temporary directory), for running the service or the
// tests on a cluster: it prints the REDIS_CLUSTER_NODES to use, and stops and
// removes every node on Ctrl-C or SIGTERM.
//
//   pnpm redis:cluster
//   REDIS_CLUSTER_NODES=127.0.0.1:… npx tap test/e2e
import { privateRedisCluster } from '@sms/testing';

const teardowns: (() => unknown)[] = [];
const stop = async () => {
  for (const fn of teardowns.reverse()) await fn();
};
try {
  const cluster = await privateRedisCluster({ teardown: (fn) => teardowns.push(fn) });
  console.log(`REDIS_CLUSTER_NODES=${cluster.seeds}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
} finally {
  await stop();
}
