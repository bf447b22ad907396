// Redis Cluster failover under load: a 3-master + 3-replica cluster of the
// test's own, two APIs and two workers on it (REDIS_CLUSTER_NODES), a steady
// stream of PUTs over both APIs, and the master of the queue's slot killed
// mid-stream. Its replica takes over by itself: readiness says 503 meanwhile
// and 200 after, every PUT answered 200 has its SMS sent exactly once (the
// outbox covers the adds lost in the failover), the limits still hold across
// both APIs, and no process was restarted.
import { createDb } from '@sms/db';
import { createProducerRedis, createSmsQueue, queuePrefix, SMS_QUEUE } from '@sms/jobs';
import {
  call,
  createTestConfig,
  privateRedisCluster,
  session,
  smsLines,
  startApi,
  startWorker,
  waitFor,
  workerStarted,
  type Answer,
} from '@sms/testing';
import t from 'tap';
import {
  LOAD_LIMITS,
  phones,
  resendsFromOneAddress,
  resendsOfOnePhone,
  seedUsers,
  waitForAllSent,
} from './lib/fixtures';

const USERS = 3000;
const PARALLEL = 8;
/** PUTs answered before the kill, and after readiness is back, so the stream spans the outage. */
const BEFORE = 100;
const AFTER = 100;

t.test('the master of the queue’s slot killed mid-stream: failover, every accepted PUT sent once', async (t) => {
  const cluster = await privateRedisCluster(t);
  const config = await createTestConfig(t, { REDIS_CLUSTER_NODES: cluster.seeds });
  const { prisma, close } = createDb(config);
  t.teardown(close);

  const workers = [startWorker(t, config, {}, 'worker-a'), startWorker(t, config, {}, 'worker-b')];
  const apiEnv = {
    ...LOAD_LIMITS,
    DATABASE_POOL_SIZE: '10',
    LOG_LEVEL: 'warn',
    TRUST_PROXY: '127.0.0.1', // X-Forwarded-For names the client: the test plays many clients
    IP_RATE_LIMIT_PER_MINUTE: '20',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '3',
  };
  const apis = await Promise.all([startApi(t, config, apiEnv), startApi(t, config, apiEnv)]);
  await Promise.all(workers.map(workerStarted));
  const urls = apis.map((a) => a.url);
  const users = await seedUsers(prisma, USERS, 'cluster');
  const numbers = phones(USERS, 703);

  // PARALLEL clients over both APIs, each PUT from an address of its own, until told to stop.
  const answers: Answer[] = [];
  let next = 0;
  let stop = false;
  const client = async () => {
    while (!stop && next < USERS) {
      const i = next++;
      const u = users[i]!;
      answers[i] = await call(
        urls[i % 2]!,
        'PUT',
        `/api/v1/sms_settings/${u.userId}`,
        { phone: numbers[i] },
        { ...session(u.sessionId), 'x-forwarded-for': `10.${i >> 8}.${i & 255}.1` },
      );
    }
  };
  const done = () => answers.filter(Boolean).length;
  const load = Promise.all(Array.from({ length: PARALLEL }, client));

  await waitFor(() => done() >= BEFORE, 60_000, `${BEFORE} PUTs before the kill`);
  const queueKey = `${queuePrefix(config)}:${SMS_QUEUE}:meta`;
  const master = await cluster.masterOf(queueKey);
  await cluster.kill(master);
  const killedAt = Date.now();
  const killedAtPut = done();
  const ready = (url: string) => call(url, 'GET', '/health/ready');
  const down = await Promise.all(
    urls.map((url) => waitFor(async () => (await ready(url)).status === 503, 10_000, 'readiness 503')),
  );
  t.same(down, [true, true], 'both APIs answer readiness 503 while the queue’s slot has no master');
  await Promise.all(urls.map((url) => waitFor(async () => (await ready(url)).status === 200, 60_000, 'readiness 200')));
  const outageMs = Date.now() - killedAt;
  const backAtPut = done();
  // The node asked may learn of the new master a moment after the client did.
  const promoted = await waitFor(
    async () => (await cluster.masterOf(queueKey).catch(() => master)) !== master,
    10_000,
    'the nodes to agree on the new master',
  );
  t.ok(promoted, 'a replica took over the slot');
  await waitFor(() => done() >= backAtPut + AFTER, 60_000, `${AFTER} PUTs after the failover`);
  stop = true;
  await load;
  t.comment(
    `killed the master on ${master} at PUT ${killedAtPut}; readiness back after ${outageMs} ms, ` +
      `at PUT ${backAtPut}; ${answers.length} PUTs in all`,
  );

  const statuses = new Map<number, number>();
  for (const r of answers) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  t.same([...statuses.keys()], [200], `every PUT answered 200 (${JSON.stringify([...statuses])})`);
  const accepted = answers.map((r, i) => (r.status === 200 ? numbers[i]! : null)).filter((p) => p !== null);
  t.comment(`slowest PUT ${Math.round(Math.max(...answers.map((r) => r.ms)))} ms`);

  await waitForAllSent(prisma, accepted.length, 120_000);
  // Whatever the failover left in the queue (re-added jobs, retries) is finished before counting.
  const redis = createProducerRedis(config, { enableOfflineQueue: true });
  const queue = createSmsQueue(config, redis);
  t.teardown(async () => {
    await queue.close();
    redis.disconnect();
  });
  await waitFor(
    async () => {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0);
    },
    60_000,
    'the queue to be empty',
  );
  const record = workers.flatMap((w) => smsLines(w));
  const perPhone = new Map<string, number>();
  for (const line of record) perPhone.set(String(line.to), (perPhone.get(String(line.to)) ?? 0) + 1);
  t.equal(record.length, accepted.length, `one SMS per accepted PUT (${record.length})`);
  t.same(
    accepted.filter((p) => perPhone.get(p) !== 1),
    [],
    'each accepted PUT: exactly one SMS to its phone',
  );

  // Per-phone hourly cap (3) through both APIs, each request from another client address.
  const capped = accepted[0]!; // its PUT was SMS 1 of the hour
  const pumped = await resendsOfOnePhone(urls, capped, 20);
  t.equal(pumped.filter((r) => r.status === 204).length, 2, 'two more SMS in the hour for that phone, no more');
  t.equal(pumped.filter((r) => r.status === 429).length, 18, 'the rest 429, from either API');

  // Per-address request limit (20 a minute), one address, both APIs.
  const perIp = await resendsFromOneAddress(urls, phones(30, 704), '198.51.100.7');
  t.same(perIp.slice(0, 20), Array(20).fill(204), '20 requests a minute from one address');
  t.same(perIp.slice(20), Array(10).fill(429), 'then 429, from either API');

  const processes = [...apis.map((a) => a.proc), ...workers];
  // One line per outage and a few failed sweeps, not an error loop (BullMQ's without a hash tag: ~6,000/s).
  const loud = processes.map((p) => `${p.name} ${p.lines.filter((l) => l.level >= 40).length}`);
  t.comment(`warning and error lines: ${loud.join(', ')}`);

  t.same(
    processes.filter((p) => p.child.exitCode !== null),
    [],
    'no process exited: all rode out the failover',
  );
  const exits = await Promise.all(processes.map((p) => p.stop('SIGTERM')));
  t.same(exits, Array(4).fill({ code: 0, signal: null }), 'all four processes exit 0');
});
