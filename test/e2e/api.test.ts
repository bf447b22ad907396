// End to end with the real processes: the API takes a phone, the worker
// "sends" the code through the log transport, the user verifies it. Then the
// same with Redis gone during the PUT: the outbox sweeper delivers, once.
import { createDb } from '@sms/db';
import {
  checkedCall,
  contractChecker,
  createTestConfig,
  newAccount,
  freePort,
  privateRedis,
  serviceEnv,
  session,
  smsLines,
  startApi,
  startProcess,
  startWorker,
  waitFor,
  WORKER_ENTRY,
  workerStarted,
  type Proc,
} from '@sms/testing';
import t from 'tap';

// Every answer is checked against the OpenAPI document: an undocumented one fails the test.
const call = checkedCall(await contractChecker());

let counter = 0;

const newUser = (url: string) => newAccount(url, `e2e${process.pid}x${++counter}`, call);

const phoneFor = (n: number) => `+38050${String((process.pid * 100 + n) % 10_000_000).padStart(7, '0')}`;

/** The code in the one SMS the worker wrote for `phone`. */
async function codeFromWorker(worker: Proc, phone: string): Promise<string> {
  const line = await worker.waitForLine((l) => l.to === phone, 20_000, `SMS to ${phone}`);
  const code = /(\d{6})/.exec(String(line.body))?.[1];
  if (!code) throw new Error(`no code in ${String(line.body)}`);
  return code;
}

t.test('PUT a phone, read the code from the worker log, verify it, GET shows verified', async (t) => {
  const config = await createTestConfig(t);
  const worker = startWorker(t, config);
  const started = await workerStarted(worker);
  const { proc: api, url } = await startApi(t, config);

  const { userId, sessionId } = await newUser(url);
  const phone = phoneFor(1);
  const put = await call(url, 'PUT', `/api/v1/sms_settings/${userId}`, { phone }, session(sessionId));
  t.equal(put.status, 200, JSON.stringify(put.body));
  t.equal(put.body?.ver_code, null, 'the API does not hand out the code');

  const code = await codeFromWorker(worker, phone);
  t.equal((await call(url, 'POST', '/api/v1/sms_settings/verify', { phone, code })).status, 204);
  const get = await call(url, 'GET', `/api/v1/sms_settings/${userId}`, undefined, session(sessionId));
  t.same(get.body, { phone, verified: true, id: userId, language: null });

  const metrics = await fetch(`http://127.0.0.1:${started.metricsPort}/metrics`).then((r) => r.text());
  t.match(metrics, /^sms_messages_sent_total 1$/m, 'the worker counted the SMS');
  t.match(metrics, /^sms_queued_to_sent_seconds_count 1$/m);

  const [apiExit, workerExit] = await Promise.all([api.stop('SIGTERM'), worker.stop('SIGTERM')]);
  t.same(workerExit, { code: 0, signal: null }, 'the worker exits 0 on SIGTERM');
  t.same(apiExit, { code: 0, signal: null }, 'the API exits 0 on SIGTERM');
  t.ok(
    worker.lines.some((l) => l.msg === 'worker stopped'),
    'after closing its connections',
  );
});

t.test('Redis unreachable during the PUT: the row waits, the sweeper sends it once Redis is back', async (t) => {
  const config = await createTestConfig(t);
  const redis = await privateRedis(t);
  // A Redis of its own to stop, a single server even when the suite runs on a cluster.
  const cfg = { ...config, REDIS_URL: redis.url, REDIS_CLUSTER_NODES: undefined };
  const worker = startWorker(t, cfg);
  await workerStarted(worker);
  const { proc: api, url } = await startApi(t, cfg);
  const { userId, sessionId } = await newUser(url);

  await redis.stop();
  const phone = phoneFor(2);
  const put = await call(url, 'PUT', `/api/v1/sms_settings/${userId}`, { phone }, session(sessionId));
  t.equal(put.status, 200, `the PUT succeeds without Redis (${JSON.stringify(put.body)})`);
  await api.waitForLine((l) => l.msg === 'enqueue failed; the outbox sweeper will send it', 5_000, 'enqueue failure');

  const { prisma, close } = createDb(config);
  t.teardown(close);
  const row = await prisma.smsMessage.findFirstOrThrow({ where: { recipient: phone } });
  t.equal(row.status, 'queued', 'the message is in the outbox');

  await redis.start();
  const code = await codeFromWorker(worker, phone);
  await waitFor(
    async () => (await prisma.smsMessage.findUniqueOrThrow({ where: { id: row.id } })).status === 'sent',
    10_000,
    'row sent',
  );
  // Several more sweeps (every 200 ms, rows older than 500 ms) must not send it again.
  const sweepsLater = Date.now() + 1500;
  await waitFor(() => Date.now() > sweepsLater, 5_000, 'a few sweeps');
  t.equal(smsLines(worker).filter((l) => l.to === phone).length, 1, 'the SMS arrived once');
  t.ok(
    worker.lines.some((l) => l.msg === 'outbox sweeper re-enqueued overdue messages'),
    'through the sweeper',
  );

  t.equal((await call(url, 'POST', '/api/v1/sms_settings/verify', { phone, code })).status, 204);
  const get = await call(url, 'GET', `/api/v1/sms_settings/${userId}`, undefined, session(sessionId));
  t.equal(get.body?.verified, true);

  t.same(await worker.stop('SIGTERM'), { code: 0, signal: null });
  t.same(await api.stop('SIGTERM'), { code: 0, signal: null });
  await redis.stop();
});

t.test('bad configuration: one line naming the variable, exit 1', async (t) => {
  const config = await createTestConfig(t);
  const worker = startProcess('worker', WORKER_ENTRY, {
    teardown: t,
    env: { ...serviceEnv(config), WORKER_CONCURRENCY: '0' },
  });
  t.same(await worker.exited, { code: 1, signal: null });
  t.equal(worker.stderr().trim(), 'Invalid configuration: WORKER_CONCURRENCY must be >= 1');

  const closedPort = await freePort();
  const noDb = startProcess('worker', WORKER_ENTRY, {
    teardown: t,
    env: { ...serviceEnv(config), DATABASE_URL: `mysql://root@127.0.0.1:${closedPort}/nothing` },
  });
  t.same(await noDb.exited, { code: 1, signal: null });
  t.equal(
    noDb.stderr().trim(),
    `Cannot reach the database at DATABASE_URL: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
  );
});
