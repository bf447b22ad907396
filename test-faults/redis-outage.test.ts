// Redis goes away in the middle of a stream of PUTs (a private redis-server,
// stopped, then started again empty on the same port): every PUT is answered
// 200, readiness says 503 meanwhile, and once Redis is back every SMS is sent
// exactly once: the outbox sweeper re-enqueues what the API could not, and
// what Redis lost with its restart.
import { createDb } from '@sms/db';
import {
  call,
  createTestConfig,
  privateRedis,
  session,
  smsLines,
  startApi,
  startWorker,
  waitFor,
  workerStarted,
  type Answer,
} from '@sms/testing';
import t from 'tap';
import { LOAD_LIMITS, phones, seedUsers, waitForAllSent } from './lib/fixtures';

const COUNT = 300;
const PARALLEL = 10;

t.test('Redis gone during PUTs and back: every PUT answered, every SMS sent once', async (t) => {
  const redis = await privateRedis(t);
  const config = { ...(await createTestConfig(t)), REDIS_URL: redis.url };
  const { prisma, close } = createDb(config);
  t.teardown(close);

  const worker = startWorker(t, config);
  await workerStarted(worker);
  const { proc: api, url } = await startApi(t, config, { ...LOAD_LIMITS, DATABASE_POOL_SIZE: '10' });
  const users = await seedUsers(prisma, COUNT, 'redis');
  const numbers = phones(COUNT, 702);

  // PARALLEL clients, each taking the next user until all are done.
  const answers: Answer[] = [];
  let next = 0;
  const client = async () => {
    while (next < COUNT) {
      const i = next++;
      const u = users[i]!;
      answers[i] = await call(
        url,
        'PUT',
        `/api/v1/sms_settings/${u.userId}`,
        { phone: numbers[i] },
        session(u.sessionId),
      );
    }
  };
  const done = () => answers.filter(Boolean).length;
  const load = Promise.all(Array.from({ length: PARALLEL }, client));

  await waitFor(() => done() >= COUNT / 4, 60_000, 'a quarter of the PUTs');
  await redis.stop('SIGKILL');
  const downAt = done();
  const ready = await call(url, 'GET', '/health/ready');
  t.equal(ready.status, 503, 'readiness 503 while Redis is down');
  t.match(ready.body, { mysql: true, redis: false });
  await waitFor(() => done() >= (COUNT * 3) / 4, 60_000, 'three quarters of the PUTs');
  const upAt = done();
  await redis.start();
  await load;
  t.comment(`Redis down from PUT ${downAt} to PUT ${upAt} of ${COUNT}`);

  const statuses = new Map<number, number>();
  for (const r of answers) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  t.same([...statuses], [[200, COUNT]], `every PUT answered 200 (${JSON.stringify([...statuses])})`);
  const slowest = Math.max(...answers.map((r) => r.ms));
  t.comment(`slowest PUT ${Math.round(slowest)} ms`);
  t.ok(
    api.lines.some((l) => l.msg === 'enqueue failed; the outbox sweeper will send it'),
    'the API noticed and left the SMS to the outbox',
  );

  await waitForAllSent(prisma, COUNT, 90_000);
  // More sweeps (every 200 ms, rows older than 500 ms) must not send anything again.
  const sweeps = worker.lines.filter((l) => l.msg === 'outbox sweeper re-enqueued overdue messages').length;
  const later = Date.now() + 1500;
  await waitFor(() => Date.now() > later, 5_000, 'a few more sweeps');

  const perPhone = new Map<string, number>();
  for (const line of smsLines(worker)) perPhone.set(String(line.to), (perPhone.get(String(line.to)) ?? 0) + 1);
  t.equal(smsLines(worker).length, COUNT, `${COUNT} SMS in the transport's record`);
  t.same(
    numbers.filter((p) => perPhone.get(p) !== 1),
    [],
    'each phone exactly once',
  );
  t.ok(sweeps > 0, `the sweeper re-enqueued (${sweeps} sweeps with work)`);
  t.equal(worker.child.exitCode, null, 'the worker rode it out without a restart');
  t.same(await worker.stop('SIGTERM'), { code: 0, signal: null });
  t.same(await api.stop('SIGTERM'), { code: 0, signal: null });
});
