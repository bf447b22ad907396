// MariaDB dies under a running API and worker (a private mariadbd, killed with
// SIGKILL): every endpoint answers 503 UNAVAILABLE within the pool's 5 s wait
// for a connection (the driver's acquireTimeout) and a margin, readiness
// says 503, liveness stays 200; when MariaDB is back on the same port and data,
// the same processes serve and deliver again, with no restart.
import {
  call,
  createTestDatabase,
  privateMariadb,
  session,
  smsLines,
  startApi,
  startWorker,
  waitFor,
  workerStarted,
  type Answer,
} from '@sms/testing';
import { ACQUIRE_TIMEOUT_MS } from '@sms/db';
import t from 'tap';
import { configFor, phones } from './lib/fixtures';

/** The pool's wait for a connection, then the 503; the margin is a busy machine's. */
const LIMIT_MS = ACQUIRE_TIMEOUT_MS + 500;

t.test('MariaDB gone: 503 UNAVAILABLE within the pool wait, readiness 503, recovery without a restart', async (t) => {
  const mariadb = await privateMariadb(t);
  const DATABASE_URL = await createTestDatabase(t, mariadb.url);
  const config = configFor(t, { DATABASE_URL });

  const worker = startWorker(t, config);
  await workerStarted(worker);
  const { proc: api, url } = await startApi(t, config, {
    IP_RATE_LIMIT_PER_MINUTE: '10000',
    // The per-phone limits live in Redis (up here) and would answer 429 before the database is asked.
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '10000',
  });

  const login = `outage${process.pid}`;
  const password = 'correct horse battery';
  t.equal((await call(url, 'POST', '/api/v1/signup', { login, name: login, password })).status, 201);
  const signin = await call(url, 'POST', '/api/v1/signin', { login, password });
  const userId = signin.body!.user_id as string;
  const auth = session(signin.body!.id as string);
  const [before, during, after] = phones(3, 901);
  t.equal((await call(url, 'PUT', `/api/v1/sms_settings/${userId}`, { phone: before }, auth)).status, 200);
  await worker.waitForLine((l) => l.to === before, 20_000, 'the first SMS');
  t.equal((await call(url, 'GET', '/health/ready')).status, 200, 'ready before the outage');

  await mariadb.stop('SIGKILL');

  // Every endpoint that touches the database, several rounds (the first meets
  // pooled connections the crash cut, later ones meet a refused connect).
  const requests: [string, () => Promise<Answer>][] = [
    ['signin', () => call(url, 'POST', '/api/v1/signin', { login, password })],
    ['signup', () => call(url, 'POST', '/api/v1/signup', { login: `${login}b`, name: 'b', password })],
    ['signout', () => call(url, 'POST', '/api/v1/signout', undefined, auth)],
    ['accounts/current', () => call(url, 'GET', '/api/v1/accounts/current', undefined, auth)],
    ['accounts', () => call(url, 'GET', '/api/v1/accounts', undefined, auth)],
    ['GET settings', () => call(url, 'GET', `/api/v1/sms_settings/${userId}`, undefined, auth)],
    ['PUT settings', () => call(url, 'PUT', `/api/v1/sms_settings/${userId}`, { phone: during }, auth)],
    ['resend', () => call(url, 'POST', '/api/v1/sms_settings/resend', { phone: during })],
    ['verify', () => call(url, 'POST', '/api/v1/sms_settings/verify', { phone: before, code: '123456' })],
  ];
  const slowest: Record<string, number> = {};
  for (let round = 1; round <= 3; round++) {
    // Sequentially, then all at once.
    const answers: (readonly [string, Answer])[] = [];
    for (const [name, send] of requests) answers.push([name, await send()]);
    answers.push(...(await Promise.all(requests.map(async ([name, send]) => [name, await send()] as const))));
    for (const [name, res] of answers) {
      slowest[name] = Math.max(slowest[name] ?? 0, res.ms);
      t.equal(res.status, 503, `round ${round}, ${name}: 503 (${JSON.stringify(res.body)})`);
      t.match(res.body, { code: 'UNAVAILABLE', status: 503, message: String }, `round ${round}, ${name}: the body`);
      t.equal(res.body?.correlation_id, res.headers.get('x-request-id'), `round ${round}, ${name}: correlation id`);
      t.ok(res.ms < LIMIT_MS, `round ${round}, ${name}: within ${LIMIT_MS} ms (${Math.round(res.ms)} ms)`);
    }
    const ready = await call(url, 'GET', '/health/ready');
    t.equal(ready.status, 503, `round ${round}: readiness 503`);
    t.match(ready.body, { status: 'unavailable', mysql: false, redis: true });
    t.ok(ready.ms < 1000, `round ${round}: readiness within a second (${Math.round(ready.ms)} ms)`);
    t.equal((await call(url, 'GET', '/health/live')).status, 200, `round ${round}: liveness 200`);
  }
  t.comment(
    `slowest answer per endpoint while MariaDB was down (ms): ${Object.entries(slowest)
      .map(([k, v]) => `${k} ${Math.round(v)}`)
      .join(', ')}`,
  );
  t.same(
    api.lines.filter((l) => l.level >= 50 && l.msg !== 'request failed'),
    [],
    'no unexpected error logged by the API',
  );

  const outage = api.lines.filter(
    (l) => l.level === 40 && /^Cannot open connections to the database/.test(String(l.msg)),
  );
  t.equal(outage.length, 1, 'one warn line for the outage');
  t.match(outage[0]?.msg, /at DATABASE_URL: \S/, "it gives the driver's reason");
  t.comment(`the outage line: ${outage[0]?.msg}`);

  await mariadb.start();
  const recovered = Date.now();
  await waitFor(async () => (await call(url, 'GET', '/health/ready')).status === 200, 15_000, 'ready again');
  await api.waitForLine((l) => l.msg === 'the database accepts connections again', 15_000, 'the recovery line');
  t.comment(`ready again ${Date.now() - recovered} ms after MariaDB accepted connections`);

  t.equal((await call(url, 'GET', `/api/v1/sms_settings/${userId}`, undefined, auth)).status, 200, 'GET works again');
  const put = await call(url, 'PUT', `/api/v1/sms_settings/${userId}`, { phone: after }, auth);
  t.equal(put.status, 200, `PUT works again (${JSON.stringify(put.body)})`);
  const sms = await worker.waitForLine((l) => l.to === after, 30_000, 'the SMS after recovery');
  const code = /(\d{6})/.exec(String(sms.body))![1]!;
  t.equal((await call(url, 'POST', '/api/v1/sms_settings/verify', { phone: after, code })).status, 204, 'verified');
  t.equal((await call(url, 'POST', '/api/v1/signin', { login, password })).status, 200, 'signin works again');
  t.equal(smsLines(worker).filter((l) => l.to === during).length, 0, 'nothing was sent for the refused PUT');

  t.equal(api.child.exitCode, null, 'the API never exited');
  t.equal(worker.child.exitCode, null, 'nor did the worker');
  t.same(await worker.stop('SIGTERM'), { code: 0, signal: null });
  t.same(await api.stop('SIGTERM'), { code: 0, signal: null });
});
