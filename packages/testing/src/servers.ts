// Infrastructure a test can break: a redis-server and a mariadbd of the
// test's own, on free ports, each stoppable and restartable on the same
// port (and, for MariaDB, the same data directory), so the real processes
// under test see a real outage and a real recovery.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Teardown } from './base';
import { outputTail, printLogOnFailure } from './failure-logs';
import { freePort } from './ports';
import { waitFor } from './wait';

export interface Server {
  port: number;
  url: string;
  /** Stops the server (SIGTERM, or SIGKILL: a crash) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (and data). */
  start(): Promise<void>;
}

interface Spawned {
  child: ChildProcess;
  exited: Promise<unknown>;
  output: () => string;
}

/** A server's log across its starts, printed if the test fails. */
function serverLog(t: Teardown, name: string): Log {
  const log = outputTail();
  printLogOnFailure(t, name, log.text);
  return log;
}
type Log = ReturnType<typeof outputTail>;

function spawnServer(command: string, args: string[], log?: Log): Spawned {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const add = (c: string) => {
    output += c;
    log?.write(c);
  };
  child.stdout!.setEncoding('utf8').on('data', add);
  child.stderr!.setEncoding('utf8').on('data', add);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

/** Waits until the server prints `marker`; fails at once, with its output, if it exits first. */
function waitForOutput(s: Spawned, marker: string, what: string, timeoutMs: number): Promise<unknown> {
  return waitFor(
    () => {
      if (s.child.exitCode !== null) throw new Error(`${what} exited: ${s.output().slice(-2000)}`);
      return s.output().includes(marker);
    },
    timeoutMs,
    `${what} to start`,
  );
}

async function stopSpawned(s: Spawned | null, signal: NodeJS.Signals) {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill(signal);
  await s.exited;
}

/** redis-server arguments for a private, throwaway Redis on `port` (as BullMQ needs it: noeviction). */
const privateRedisArgs = (port: number): string[] => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--maxmemory-policy',
  'noeviction',
];

/** A redis-server of this test's own (noeviction, no persistence). */
export async function privateRedis(t: Teardown): Promise<Server> {
  const port = await freePort();
  let current: Spawned | null = null;
  // One teardown for every start: whatever runs at the end is killed then, after
  // the teardowns registered later (dropping the database) have run.
  t.teardown(() => stopSpawned(current, 'SIGKILL'));
  const log = serverLog(t, `redis-server :${port}`);
  const start = async () => {
    const s = spawnServer('redis-server', privateRedisArgs(port), log);
    current = s;
    await waitForOutput(s, 'Ready to accept connections', 'redis-server', 10_000);
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop: (signal = 'SIGTERM') => stopSpawned(current, signal) };
}

/**
 * A mariadbd of this test's own: a fresh data directory (mariadb-install-db,
 * root without a password on 127.0.0.1), its own port and socket. Removed at
 * teardown. Register it before anything that needs the server at teardown.
 */
export async function privateMariadb(t: Teardown): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-mariadb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const datadir = join(dir, 'data');
  const install = spawnServer('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${datadir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--user=root',
  ]);
  const code = await install.exited;
  if (code !== 0) throw new Error(`mariadb-install-db failed (${String(code)}): ${install.output()}`);

  const port = await freePort();
  let current: Spawned | null = null;
  t.teardown(() => stopSpawned(current, 'SIGKILL'));
  const log = serverLog(t, `mariadbd :${port}`);
  const start = async () => {
    const s = spawnServer(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        `--datadir=${datadir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=64M',
        '--max-connections=500',
      ],
      log,
    );
    current = s;
    await waitForOutput(s, 'ready for connections', 'mariadbd', 30_000);
  };
  await start();
  return {
    port,
    url: `mysql://root@127.0.0.1:${port}/mysql`,
    start,
    stop: (signal = 'SIGTERM') => stopSpawned(current, signal),
  };
}

export interface RedisClusterServer {
  /** `REDIS_CLUSTER_NODES` for the service: every node, masters and replicas. */
  seeds: string;
  ports: number[];
  /** The port of the master serving `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /** Kills (SIGKILL) the node on `port`: its replica takes over after the node timeout. */
  kill(port: number): Promise<void>;
  /** The pid of the node on `port` (the benchmark counts its CPU). */
  pid(port: number): number | undefined;
}

/** How long cluster nodes wait before declaring a silent node failed (Redis's default: 15 s). */
const CLUSTER_NODE_TIMEOUT_MS = 2000;

const redisCli = (port: number, args: string[]): Promise<string> => {
  const s = spawnServer('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return s.exited.then((code) => {
    if (code !== 0) throw new Error(`redis-cli ${args.join(' ')} failed (${String(code)}): ${s.output()}`);
    return s.output();
  });
};

/**
 * A Redis Cluster of this test's own: 3 masters and 3 replicas on free
 * loopback ports (cluster bus ports too), in a temporary directory removed at
 * teardown, with every node killed then.
 */
export async function privateRedisCluster(t: Teardown): Promise<RedisClusterServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-redis-cluster-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const nodes = new Map<number, Spawned>();
  t.teardown(() => Promise.all([...nodes.values()].map((s) => stopSpawned(s, 'SIGKILL'))));
  for (let i = 0; i < 6; i++) {
    const [port, busPort] = [await freePort(), await freePort()];
    const s = spawnServer(
      'redis-server',
      [
        ...privateRedisArgs(port),
        '--cluster-enabled',
        'yes',
        '--cluster-port',
        String(busPort),
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        String(CLUSTER_NODE_TIMEOUT_MS),
        '--dir',
        dir,
      ],
      serverLog(t, `redis cluster node :${port}`),
    );
    nodes.set(port, s);
  }
  const ports = [...nodes.keys()];
  for (const [port, s] of nodes) {
    await waitForOutput(s, 'Ready to accept connections', `cluster node on ${port}`, 10_000);
  }
  await redisCli(ports[0]!, [
    '--cluster',
    'create',
    ...ports.map((p) => `127.0.0.1:${p}`),
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  ]);
  const healthy = async (port: number) => (await redisCli(port, ['cluster', 'info'])).includes('cluster_state:ok');
  for (const port of ports) await waitFor(() => healthy(port), 20_000, `cluster node ${port} to see every slot served`);
  // `cluster create` returns before the replicas have their masters' data; a
  // replica that never synced would never take over.
  const synced = async () => {
    const roles = await Promise.all(ports.map((p) => redisCli(p, ['info', 'replication'])));
    return roles.filter((r) => r.includes('role:master') && /slave0:.*state=online/.test(r)).length === 3;
  };
  await waitFor(synced, 20_000, 'every master to have its replica in sync');

  return {
    seeds: ports.map((p) => `127.0.0.1:${p}`).join(','),
    ports,
    async masterOf(key) {
      const live = ports.find((p) => nodes.get(p)!.child.exitCode === null && nodes.get(p)!.child.signalCode === null);
      const slot = Number((await redisCli(live!, ['cluster', 'keyslot', key])).trim());
      // CLUSTER NODES: `id host:port@bus flags master-id ping pong epoch state slots…`
      for (const line of (await redisCli(live!, ['cluster', 'nodes'])).trim().split('\n')) {
        const [, address, flags, , , , , , ...ranges] = line.split(' ');
        if (!flags!.includes('master') || flags!.includes('fail')) continue;
        const serves = ranges.some((range) => {
          const [from, to = from] = range.split('-').map(Number);
          return slot >= from! && slot <= to!;
        });
        if (serves) return Number(address!.split('@')[0]!.split(':')[1]);
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    kill: (port) => stopSpawned(nodes.get(port)!, 'SIGKILL'),
    pid: (port) => nodes.get(port)?.child.pid,
  };
}
