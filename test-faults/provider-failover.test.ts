// Provider failover end to end: an API process takes PUTs; two workers send
// through SMS_TRANSPORT=http,bird. The http gateway is a real HTTP server of
// the test's own, answering 200, then 503 for a while, then 200 again, then
// 401; Bird is faked at its HTTP boundary with nock, as in the worker's tests,
// so both workers run in this process (nock sees only its own process), each
// with its own Redis and database connections: they share the providers'
// state through Redis alone.
// Every PUT answered 200 gets exactly one SMS accepted by exactly one
// provider; traffic returns to the gateway after the cool-down; the two
// workers agree on the gateway's state.
import { createDb } from '@sms/db';
import {
  call,
  createTestConfig,
  HTTP_PROVIDER_SECRET,
  session,
  startApi,
  startHttpGateway,
  waitFor,
  type HttpGateway,
} from '@sms/testing';
import t from 'tap';
import { createWorkerApp, type WorkerApp } from '../apps/worker/src/app';
import { birdAccepts, BIRD_KEY, type BirdSms } from '../apps/worker/test/fake-bird';
import { fakeMessageBird } from '../apps/worker/test/fake-messagebird';
import { captureLogger, metricValue } from '../apps/worker/test/helpers';
import { LOAD_LIMITS, phones, seedUsers, type SeededUser } from './lib/fixtures';

const PER_PHASE = 20;
const COOLDOWN_S = 2;

fakeMessageBird(t);

t.test('http,bird: 200, 503 for a while, 200, 401 — every code sent once, by one provider', async (t) => {
  const gateway: HttpGateway = await startHttpGateway(t);
  let mode: 'ok' | '503' | '401' = 'ok';
  gateway.answer = (r) =>
    mode === 'ok'
      ? { status: 200, body: { provider_message_id: `gw-${r.body.message_id}` } }
      : { status: Number(mode), body: { error: mode } };
  const bird: BirdSms[] = [];
  birdAccepts(bird);

  const config = await createTestConfig(t, {
    SMS_TRANSPORT: 'http,bird',
    SMS_HTTP_URL: gateway.url,
    SMS_HTTP_SECRET: HTTP_PROVIDER_SECRET,
    SMS_HTTP_TIMEOUT_MS: '5000',
    BIRD_ACCESS_KEY: BIRD_KEY,
    SMS_PROVIDER_FAILURE_THRESHOLD: '3',
    SMS_PROVIDER_COOLDOWN_SECONDS: String(COOLDOWN_S),
    SMS_OPERATOR_PAUSE_MS: '600000',
    WORKER_CONCURRENCY: '4',
    SMS_BACKOFF_MS: '50',
    WORKER_METRICS_PORT: '0',
  });
  const { prisma, close } = createDb(config);
  t.teardown(close);
  const workers = ['a', 'b'].map(() => {
    const { logger, lines } = captureLogger('info');
    const app: WorkerApp = createWorkerApp(config, { logger });
    t.teardown(() => app.close());
    app.start();
    return { app, lines };
  });
  const { url } = await startApi(t, config, { ...LOAD_LIMITS, SMS_RESEND_COOLDOWN_SECONDS: '0' });

  const users = await seedUsers(prisma, PER_PHASE * 4, 'failover');
  const numbers = phones(PER_PHASE * 4, 610);
  let next = 0;
  /** PER_PHASE PUTs, each a new user and phone; resolves once all their SMS are sent. */
  async function phase(name: string): Promise<SeededUser[]> {
    const batch = users.slice(next, next + PER_PHASE);
    const answers = await Promise.all(
      batch.map((u, i) =>
        call(url, 'PUT', `/api/v1/sms_settings/${u.userId}`, { phone: numbers[next + i] }, session(u.sessionId)),
      ),
    );
    next += PER_PHASE;
    t.same(
      answers.map((a) => a.status),
      batch.map(() => 200),
      `${name}: every PUT answered 200`,
    );
    const ids = batch.map((u) => u.userId);
    await waitFor(
      async () => (await prisma.smsMessage.count({ where: { userId: { in: ids }, status: 'sent' } })) === PER_PHASE,
      60_000,
      `${name}: all sent`,
    );
    return batch;
  }
  const rowsOf = (batch: SeededUser[]) =>
    prisma.smsMessage.findMany({ where: { userId: { in: batch.map((u) => u.userId) } }, orderBy: { sentTime: 'asc' } });
  const states = () => Promise.all(workers.map((w) => w.app.health.states()));
  const gaugeOf = (app: WorkerApp, state: string) =>
    metricValue(app, 'sms_provider_state', `provider="http",state="${state}"`);

  const first = await rowsOf(await phase('200'));
  t.ok(
    first.every((r) => r.providerMessageId === `gw-${r.id}`),
    'while the gateway answers 200, it sends them all',
  );

  mode = '503';
  const before = gateway.requests.length;
  const outage = await rowsOf(await phase('503'));
  t.ok(
    outage.every((r) => r.providerMessageId === `bird-${r.id}`),
    'during the 503s every message went on to Bird',
  );
  t.same(await states(), [
    { http: 'unhealthy', bird: 'healthy' },
    { http: 'unhealthy', bird: 'healthy' },
  ]);
  const refusals = gateway.requests.length - before;
  t.ok(refusals >= 3 && refusals < PER_PHASE, `the gateway set aside after a few 503s (${refusals} of ${PER_PHASE})`);
  const unhealthyLines = workers
    .flatMap((w) => w.lines)
    .filter((l) => /^SMS provider http unhealthy/.test(String(l.msg)));
  t.equal(unhealthyLines.length, 1, 'one warn line, from one of the two workers');

  mode = 'ok';
  await waitFor(async () => (await states()).every((s) => s.http === 'probing'), 10_000, 'the cool-down to end');
  const back = await rowsOf(await phase('200 again'));
  t.ok(back.at(-1)!.providerMessageId?.startsWith('gw-'), 'traffic is back on the gateway after the cool-down');
  // Until the one probe succeeds, the others in hand (at most 2 × 4) go to Bird.
  t.ok(back.filter((r) => r.providerMessageId?.startsWith('gw-')).length >= PER_PHASE - 8, 'most of the phase');
  t.same(await states(), [
    { http: 'healthy', bird: 'healthy' },
    { http: 'healthy', bird: 'healthy' },
  ]);
  for (const w of workers) t.equal(await gaugeOf(w.app, 'healthy'), 1, 'each worker’s gauge says healthy');

  mode = '401';
  const paused = await rowsOf(await phase('401'));
  t.ok(
    paused.every((r) => r.providerMessageId === `bird-${r.id}`),
    'after the 401 (the gateway paused) Bird sent them all',
  );
  t.same(await states(), [
    { http: 'unhealthy', bird: 'healthy' },
    { http: 'unhealthy', bird: 'healthy' },
  ]);
  for (const w of workers) t.equal(await gaugeOf(w.app, 'unhealthy'), 1, 'each worker’s gauge says unhealthy');
  t.ok(
    workers.flatMap((w) => w.lines).some((l) => l.alert === 'bad_key' && l.provider === 'http'),
    'operators alerted',
  );

  // Exactly once: every row accepted by exactly one provider, exactly one time.
  const rows = await prisma.smsMessage.findMany({ select: { id: true, status: true, provider: true } });
  t.equal(rows.length, PER_PHASE * 4, 'one message per PUT');
  const accepted = new Map<string, number>();
  for (const id of [...gateway.accepted.map((r) => r.body.message_id), ...bird.map((b) => b.id)]) {
    accepted.set(id, (accepted.get(id) ?? 0) + 1);
  }
  t.same(
    rows.filter((r) => r.status !== 'sent' || accepted.get(r.id) !== 1).map((r) => r.id),
    [],
    'each sent, each accepted once by one provider',
  );
  t.equal(accepted.size, rows.length, 'no SMS for anything else');
  const byGateway = new Set(gateway.accepted.map((r) => r.body.message_id));
  t.ok(
    rows.every((r) => r.provider === (byGateway.has(r.id) ? 'http' : 'bird')),
    'each row names the provider that accepted it',
  );
  t.ok(
    gateway.requests.every((r) => r.signatureProblem === null),
    'every request to the gateway signed with SMS_HTTP_SECRET',
  );
  t.ok(
    workers.every((w) => w.lines.some((l) => l.msg === 'sms sent' && l.provider === 'bird')) &&
      workers.every((w) => w.lines.some((l) => l.msg === 'sms sent' && l.provider === 'http')),
    'both workers sent through both providers',
  );
});
