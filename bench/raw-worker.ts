// The ceiling for the worker: a bare BullMQ worker, same Redis, same
// concurrency and job options, with a processor that does nothing (or only
// waits BENCH_PROVIDER_LATENCY_MS). Prints one JSON line when it is ready and
// one when BENCH_JOBS jobs have completed.
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const env = process.env;
const connection = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const latencyMs = Number(env.BENCH_PROVIDER_LATENCY_MS ?? '0');
const expected = Number(env.BENCH_JOBS ?? '0');
let completed = 0;

const worker = new Worker(
  env.BENCH_QUEUE ?? 'sms',
  async () => {
    if (latencyMs > 0) await sleep(latencyMs);
  },
  { connection, prefix: env.QUEUE_PREFIX ?? 'sms', concurrency: Number(env.WORKER_CONCURRENCY ?? '50') },
);
worker.on('error', (err) => console.error(err.message));
worker.on('completed', () => {
  completed += 1;
  if (completed === expected) console.log(JSON.stringify({ done: Date.now(), completed }));
});
await worker.waitUntilReady();
console.log(JSON.stringify({ ready: true }));

process.once('SIGTERM', async () => {
  await worker.close();
  await connection.quit();
});
