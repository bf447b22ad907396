// REDIS_URL pointing at a Redis that is not there when the API and the worker
// start: each process says so in one line naming REDIS_URL and the cause, then
// retries quietly; /health/ready says which dependency is down; when Redis
// comes up, one line says so and the service is ready. Before, a wrong
// REDIS_URL flooded ~50 error lines in 15 s with no single clear one.
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestConfig, privateRedis, startApi, startWorker, waitFor, workerStarted } from '@sms/testing';
import t from 'tap';

const UNREACHABLE =
  /^Redis at REDIS_URL is unreachable \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); retrying with backoff$/;
// What used to be logged once per retry.
const NOISE = new Set(['worker error', 'sms queue error', 'redis error']);

t.test('Redis unreachable at start: one line, quiet retries, readiness names it, one line when back', async (t) => {
  const redis = await privateRedis(t);
  await redis.stop();
  const config = { ...(await createTestConfig(t)), REDIS_URL: redis.url };

  const worker = startWorker(t, config);
  await workerStarted(worker);
  const { proc: api, url } = await startApi(t, config);
  const ready = () => fetch(`${url}/health/ready`).then(async (r) => ({ status: r.status, body: await r.json() }));

  for (const proc of [worker, api]) {
    await proc.waitForLine((l) => UNREACHABLE.test(String(l.msg)), 20_000, 'the outage line');
  }
  t.same(await ready(), { status: 503, body: { status: 'unavailable', mysql: true, redis: false } }, 'readiness');

  // An observation window, not a wait for a condition: ioredis retries many
  // times in it (every 50 ms to 2 s), and none of them may log.
  await sleep(5000);
  for (const proc of [worker, api]) {
    const lines = proc.lines.filter((l) => UNREACHABLE.test(String(l.msg)));
    t.equal(lines.length, 1, `${proc.name}: one outage line`);
    t.same(
      proc.lines.filter((l) => NOISE.has(String(l.msg))),
      [],
      `${proc.name}: no line per retry`,
    );
    t.equal(proc.stderr(), '', `${proc.name}: nothing on stderr`);
  }

  await redis.start();
  for (const proc of [worker, api]) {
    await proc.waitForLine((l) => l.msg === 'Redis is reachable again', 20_000, 'the recovery line');
  }
  await waitFor(async () => (await ready()).status === 200, 10_000, 'ready');
  t.same((await ready()).body, { status: 'ok', mysql: true, redis: true });
  for (const proc of [worker, api]) {
    t.equal(proc.lines.filter((l) => l.msg === 'Redis is reachable again').length, 1, `${proc.name}: one line back`);
    t.equal(proc.lines.filter((l) => UNREACHABLE.test(String(l.msg))).length, 1, `${proc.name}: still one outage line`);
  }
});

// Ctrl-C (`pnpm start` sends each process one SIGTERM) while Redis is still
// unreachable: nothing is left to finish, so each process closes what it holds
// and exits 0 at once. Before, the worker waited for its Redis connections to
// say goodbye to a server that was not there, until close-with-grace's 15 s
// timer ("killed by timeout (15000ms)", exit 1).
t.test('SIGTERM while Redis is unreachable: the API and the worker exit 0 within seconds', async (t) => {
  const redis = await privateRedis(t);
  await redis.stop();
  const config = { ...(await createTestConfig(t)), REDIS_URL: redis.url };
  const worker = startWorker(t, config);
  await workerStarted(worker);
  const { proc: api } = await startApi(t, config);
  for (const proc of [worker, api]) {
    await proc.waitForLine((l) => UNREACHABLE.test(String(l.msg)), 20_000, 'the outage line');
  }
  for (const proc of [worker, api]) {
    const started = Date.now();
    // Killed at 10 s if still running: the symptom, whatever the process's own timer.
    t.same(await proc.stop('SIGTERM', 10_000), { code: 0, signal: null }, `${proc.name}: exit 0`);
    const took = Date.now() - started;
    t.ok(took < 5000, `${proc.name}: stopped in ${took} ms`);
    t.notMatch(proc.output(), /killed by timeout/, `${proc.name}: not by its own timer`);
  }
});
