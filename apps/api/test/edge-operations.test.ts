// Operational defences at start and on /metrics: production never falls back
// to the log transport silently, and /metrics (API and worker) is behind
// METRICS_TOKEN when one is set, and withheld on a public address in
// production without one.
import { loadConfig } from '@sms/config';
import {
  createTestConfig,
  serviceEnv,
  startProcess,
  startWorker,
  WORKER_ENTRY,
  API_ENTRY,
  workerStarted,
} from '@sms/testing';
import t from 'tap';
import { buildTestApp } from './helpers';

const TOKEN = 'metrics-token-0123456789';
// What a production deployment sets besides the variables under test.
const production = { NODE_ENV: 'production', SMS_ALLOWED_COUNTRIES: 'UA' };
// Every transport named, with its key.
const BOTH =
  /SMS_TRANSPORT is required when NODE_ENV=production \(unless MESSAGEBIRD_ACCESS_KEY is set\): messagebird \(with MESSAGEBIRD_ACCESS_KEY\), bird \(with BIRD_ACCESS_KEY\), http \(with SMS_HTTP_URL\), log /;

t.test('production with neither MESSAGEBIRD_ACCESS_KEY nor SMS_TRANSPORT refuses to start', async (t) => {
  const secret = { APP_SECRET: 'x'.repeat(32) };
  t.throws(() => loadConfig({ ...production, ...secret }), { message: BOTH });
  t.equal(loadConfig({ ...production, ...secret, SMS_TRANSPORT: 'log' }).SMS_TRANSPORT, 'log', 'log when named');
  t.equal(loadConfig({ ...production, ...secret, MESSAGEBIRD_ACCESS_KEY: 'k' }).SMS_TRANSPORT, 'messagebird');
  t.equal(loadConfig({ ...secret }).SMS_TRANSPORT, 'log', 'outside production the log transport stays the default');

  const config = await createTestConfig(t);
  for (const [name, entry] of [
    ['worker', WORKER_ENTRY],
    ['api', API_ENTRY],
  ] as const) {
    const proc = startProcess(name, entry, { teardown: t, env: { ...serviceEnv(config), ...production } });
    t.same(await proc.exited, { code: 1, signal: null }, `${name} exits 1`);
    const lines = proc.stderr().trim().split('\n');
    t.equal(lines.length, 1, `${name}: one line`);
    t.match(lines[0], BOTH, `${name}: names both variables`);
  }
});

t.test('API /metrics with METRICS_TOKEN: the bearer token or 401', async (t) => {
  const { app } = await buildTestApp(t, { METRICS_TOKEN: TOKEN });
  const get = (authorization?: string) =>
    app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
  const none = await get();
  t.equal(none.statusCode, 401);
  t.equal(none.json().code, 'NOT_SIGNED');
  t.equal((await get(`Bearer ${TOKEN}x`)).statusCode, 401);
  t.equal((await get(TOKEN)).statusCode, 401, 'the token alone is not the header');
  const ok = await get(`Bearer ${TOKEN}`);
  t.equal(ok.statusCode, 200);
  t.match(ok.body, /http_requests_total/);
});

t.test('API /metrics in production: withheld on a public address without a token', async (t) => {
  const env = { ...production, SMS_TRANSPORT: 'log' };
  const { app: open } = await buildTestApp(t, { ...env, HOST: '0.0.0.0' });
  const withheld = await open.inject({ method: 'GET', url: '/metrics' });
  t.equal(withheld.statusCode, 403);
  t.match(withheld.json().message, /METRICS_TOKEN/);
  const { app: local } = await buildTestApp(t, { ...env, HOST: '127.0.0.1' });
  t.equal((await local.inject({ method: 'GET', url: '/metrics' })).statusCode, 200, 'loopback: served');
  const { app: tokened } = await buildTestApp(t, { ...env, HOST: '0.0.0.0', METRICS_TOKEN: TOKEN });
  const res = await tokened.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(res.statusCode, 200, 'public with a token: served to its holder');
});

t.test('worker /metrics with METRICS_TOKEN, over its real port', async (t) => {
  const config = await createTestConfig(t);
  const worker = startWorker(t, config, { METRICS_TOKEN: TOKEN });
  const { metricsPort } = await workerStarted(worker);
  const url = `http://127.0.0.1:${String(metricsPort)}/metrics`;
  t.equal((await fetch(url)).status, 401);
  t.equal((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(ok.status, 200);
  t.match(await ok.text(), /process_cpu_seconds_total/);
  t.equal((await fetch(`http://127.0.0.1:${String(metricsPort)}/health/live`)).status, 200, 'liveness stays open');
  t.same(await worker.stop('SIGTERM'), { code: 0, signal: null });
});
