// Slow (each start builds nothing but migrates and boots two processes: about
// 10 s alone, 40 s on a loaded machine), hence here and not in test/e2e.
//
// `pnpm start` as a user runs it, stopped the ways a user or a process manager
// stops it: Ctrl-C in a terminal (SIGINT to the whole process group), SIGTERM
// or SIGINT to the supervisor alone (what systemd or `kill` sends), and
// SIGTERM to pnpm alone. Each time the API and the worker drain exactly once,
// nothing reports an error, and no process of the service is left.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createTestConfig, freePort, printLogOnFailure, privateRedis, ROOT, serviceEnv, waitFor } from '@sms/testing';
import t, { type Test } from 'tap';

/** Pids of the processes whose environment carries `marker` (ours: same user). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  return pids;
}

// The build is made once here, not by the first start, so each start is quick.
t.before(() => {
  const built = spawnSync(process.execPath, ['scripts/start.mjs', '--build-only'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
});

/** `pnpm start` or `node scripts/start.mjs`; `redisUrl` replaces REDIS_URL (an unreachable one: the API is then live, not ready). */
async function startService(t: Test, how: 'pnpm' | 'node', redisUrl?: string) {
  const config = { ...(await createTestConfig(t)), ...(redisUrl ? { REDIS_URL: redisUrl } : {}) };
  const port = await freePort();
  const marker = `SMS_START_TEST=${config.QUEUE_PREFIX}`;
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...serviceEnv(config),
    PORT: String(port),
    WORKER_METRICS_PORT: String(await freePort()),
    SMS_TRANSPORT: 'log',
    SMS_START_TEST: config.QUEUE_PREFIX,
  };
  const [command, args] = how === 'pnpm' ? ['pnpm', ['start']] : [process.execPath, ['scripts/start.mjs']];
  // Its own process group, as a shell gives a foreground job.
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  printLogOnFailure(t, how === 'pnpm' ? 'pnpm start' : 'node scripts/start.mjs', () => output);
  t.teardown(() => {
    for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
  });
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`start exited ${child.exitCode}:\n${output}`);
      return (
        output.includes('"worker started"') &&
        fetch(`http://127.0.0.1:${port}/health/${redisUrl ? 'live' : 'ready'}`).then(
          (r) => r.ok,
          () => false,
        )
      );
    },
    60_000,
    'the API ready and the worker started',
    100,
  );
  const pids = processesWith(marker);
  return { child, exited, output: () => output, marker, pids };
}

type Started = Awaited<ReturnType<typeof startService>>;

function checkDrained(t: Test, service: Started, errors = /second (SIGTERM|SIGINT)|ELIFECYCLE|"level":50/) {
  const lines = service
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { name?: string; msg?: string });
  const count = (name: string, msg: string) => lines.filter((l) => l.name === name && l.msg === msg).length;
  t.equal(count('api', 'shutting down'), 1, 'the API drains once');
  t.equal(count('worker', 'shutting down'), 1, 'the worker drains once');
  t.equal(count('worker', 'worker stopped'), 1, 'the worker stops');
  t.notMatch(service.output(), errors, 'no error line');
}

t.test('Ctrl-C on `pnpm start` (SIGINT to the process group)', async (t) => {
  const service = await startService(t, 'pnpm');
  t.ok(service.pids.length >= 3, 'pnpm, the supervisor, the API and the worker run');
  process.kill(-(service.child.pid as number), 'SIGINT');
  t.equal(await service.exited, 0, 'exit code 0');
  checkDrained(t, service);
  t.same(processesWith(service.marker), [], 'no process left');
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} to the supervisor alone (node scripts/start.mjs)`, async (t) => {
    const service = await startService(t, 'node');
    service.child.kill(signal);
    t.equal(await service.exited, 0, 'exit code 0');
    checkDrained(t, service);
    t.same(processesWith(service.marker), [], 'no process left');
  });
}

t.test('SIGTERM to pnpm alone: pnpm exits at once, the service still drains and stops', async (t) => {
  const service = await startService(t, 'pnpm');
  service.child.kill('SIGTERM');
  // pnpm's own exit (143: killed by the signal) is pnpm's; what matters is what it leaves.
  await service.exited;
  await waitFor(() => processesWith(service.marker).length === 0, 30_000, 'no process left', 100);
  // pnpm prints its own "[ELIFECYCLE] Command failed." as it dies: a process
  // manager should run `node scripts/start.mjs` (or each process) instead.
  checkDrained(t, service, /second (SIGTERM|SIGINT)|"level":50/);
});

// Before, the worker waited for its Redis connections to close cleanly with a
// server that was not there: 15 s, "killed by timeout (15000ms)", ELIFECYCLE.
t.test('Ctrl-C on `pnpm start` while Redis is unreachable: both stop within seconds, exit 0', async (t) => {
  const redis = await privateRedis(t);
  await redis.stop();
  const service = await startService(t, 'pnpm', redis.url);
  await waitFor(() => service.output().includes('Redis at REDIS_URL is unreachable'), 30_000, 'the outage line');
  const started = Date.now();
  process.kill(-(service.child.pid as number), 'SIGINT');
  t.equal(await service.exited, 0, 'exit code 0');
  const took = Date.now() - started;
  t.ok(took < 5000, `stopped in ${took} ms`);
  checkDrained(t, service, /second (SIGTERM|SIGINT)|ELIFECYCLE|"level":50|killed by timeout/);
  t.same(processesWith(service.marker), [], 'no process left');
});
