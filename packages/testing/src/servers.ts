// Infrastructure a test can break: a redis-server and a mariadbd of the
// test's own, on free ports, each stoppable and restartable on the same
// port (and, for MariaDB, the same data directory), so the real processes
// under test see a real outage and a real recovery.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Teardown } from './base';
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

function spawnServer(command: string, args: string[]): Spawned {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
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
  const start = async () => {
    const s = spawnServer('redis-server', privateRedisArgs(port));
    current = s;
    await waitFor(
      () => {
        if (s.child.exitCode !== null) throw new Error(`redis-server exited: ${s.output()}`);
        return s.output().includes('Ready to accept connections');
      },
      10_000,
      'redis-server to start',
    );
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
  const start = async () => {
    const s = spawnServer('/usr/sbin/mariadbd', [
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
    ]);
    current = s;
    await waitFor(
      () => {
        if (s.child.exitCode !== null) throw new Error(`mariadbd exited: ${s.output().slice(-2000)}`);
        return s.output().includes('ready for connections');
      },
      30_000,
      'mariadbd to start',
    );
  };
  await start();
  return {
    port,
    url: `mysql://root@127.0.0.1:${port}/mysql`,
    start,
    stop: (signal = 'SIGTERM') => stopSpawned(current, signal),
  };
}
