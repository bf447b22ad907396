import { ConfigError } from './config-error';
import { commaList } from './formats';

export interface HostPort {
  host: string;
  port: number;
}

/** A Redis Cluster as the connection factory needs it (@sms/jobs). */
export interface RedisClusterTarget {
  /** Seed nodes: any reachable subset of the cluster; the rest is discovered. */
  nodes: HostPort[];
  username?: string;
  password?: string;
  tls: boolean;
  /** Announced `host:port` → the address this process reaches it at (containers, NAT). */
  natMap: Record<string, HostPort>;
}

/** Where the service's Redis is: one server (`REDIS_URL`) or a cluster (`REDIS_CLUSTER_NODES`). */
export type RedisTarget = { url: string; cluster?: undefined } | { cluster: RedisClusterTarget; url?: undefined };

export interface RedisVariables {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_CLUSTER_USERNAME?: string;
  REDIS_CLUSTER_PASSWORD?: string;
  REDIS_CLUSTER_TLS: boolean;
  REDIS_CLUSTER_NAT_MAP?: string;
}

const CLUSTER_ONLY = ['REDIS_CLUSTER_USERNAME', 'REDIS_CLUSTER_PASSWORD', 'REDIS_CLUSTER_NAT_MAP'] as const;

function hostPort(value: string, variable: string): HostPort {
  const at = value.lastIndexOf(':');
  const host = value.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(value.slice(at + 1));
  if (at < 1 || !host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`Invalid configuration: ${variable} needs host:port entries with ports 1-65535`);
  }
  return { host, port };
}

/**
 * The Redis the variables name. Throws ConfigError (one line naming the
 * variable) for a bad node list or NAT map, and for cluster options set without
 * `REDIS_CLUSTER_NODES`, which would otherwise be silently ignored.
 */
export function redisTarget(config: RedisVariables): RedisTarget {
  if (!config.REDIS_CLUSTER_NODES) {
    const stray = CLUSTER_ONLY.find((name) => config[name]) ?? (config.REDIS_CLUSTER_TLS && 'REDIS_CLUSTER_TLS');
    if (stray) throw new ConfigError(`Invalid configuration: ${stray} is set but REDIS_CLUSTER_NODES is not`);
    return { url: config.REDIS_URL };
  }
  const natMap: Record<string, HostPort> = {};
  for (const pair of commaList(config.REDIS_CLUSTER_NAT_MAP)) {
    const [from, to, extra] = pair.split('=');
    if (!from || !to || extra !== undefined) {
      throw new ConfigError('Invalid configuration: REDIS_CLUSTER_NAT_MAP needs announced:port=reachable:port entries');
    }
    const key = hostPort(from, 'REDIS_CLUSTER_NAT_MAP');
    natMap[`${key.host}:${key.port}`] = hostPort(to, 'REDIS_CLUSTER_NAT_MAP');
  }
  return {
    cluster: {
      nodes: commaList(config.REDIS_CLUSTER_NODES).map((node) => hostPort(node, 'REDIS_CLUSTER_NODES')),
      username: config.REDIS_CLUSTER_USERNAME,
      password: config.REDIS_CLUSTER_PASSWORD,
      tls: config.REDIS_CLUSTER_TLS,
      natMap,
    },
  };
}
