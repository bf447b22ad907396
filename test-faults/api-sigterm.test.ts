// SIGTERM to the API under load from many keep-alive connections, one request
// at a time on each (no pipelining, as load balancers and common clients
// send): every request the API was handling when the signal came is answered
// 200, the database and Redis close only after the last answer, requests
// arriving later are refused, and the process exits 0. The load is sign-ins
// (scrypt, tens of ms each on a small thread pool) and PUTs (a transaction and
// a queued SMS), so that many are in hand when the signal arrives.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createDb } from '@sms/db';
import { call, createTestConfig, startApi, waitFor, type LogLine } from '@sms/testing';
import t from 'tap';
import { Pool } from 'undici';
import { LOAD_LIMITS, phones, seedUsers } from './lib/fixtures';

const CONNECTIONS = 40;
const PUTS = 200;

interface Outcome {
  status?: number;
  headers?: Record<string, unknown>;
  body?: Record<string, unknown>;
  error?: string;
  at: number;
}

const msg = (text: string) => (l: LogLine) => l.msg === text;
/** Logged when the close begins (plugins/shutdown.ts). */
const CLOSING = 'closing: answering the requests in hand, refusing new ones';

t.test('SIGTERM under keep-alive load: requests in hand answered 200, pools closed after, exit 0', async (t) => {
  const config = await createTestConfig(t);
  const { prisma, close } = createDb(config);
  t.teardown(close);
  const { proc: api, url } = await startApi(t, config, { ...LOAD_LIMITS, DATABASE_POOL_SIZE: '10' });

  const login = `term${process.pid}`;
  const password = 'correct horse battery';
  t.equal((await call(url, 'POST', '/api/v1/signup', { login, name: login, password })).status, 201);
  const users = await seedUsers(prisma, PUTS, 'term');
  const numbers = phones(PUTS, 703);

  // pipelining: 1 is undici's default, said here because it is the point.
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  t.teardown(() => pool.destroy());
  // Each request carries its own x-request-id, so the API's log says which it received.
  const outcomes = new Map<string, Outcome>();
  const send = async (id: string, method: 'POST' | 'PUT', path: string, body: object, headers = {}) => {
    try {
      const res = await pool.request({
        path,
        method,
        headers: { 'content-type': 'application/json', 'x-request-id': id, ...headers },
        body: JSON.stringify(body),
      });
      const text = await res.body.text();
      outcomes.set(id, { status: res.statusCode, headers: res.headers, body: JSON.parse(text), at: Date.now() });
    } catch (err) {
      outcomes.set(id, { error: (err as Error).message, at: Date.now() });
    }
  };
  // Sign-ins and PUTs in turn, so that both are in hand at the signal.
  const all = Promise.all(
    users.flatMap((u, i) => [
      send(`s${i}`, 'POST', '/api/v1/signin', { login, password }),
      send(`p${i}`, 'PUT', `/api/v1/sms_settings/${u.userId}`, { phone: numbers[i] }, { 'x-session-id': u.sessionId }),
    ]),
  );
  // Under way: stop it.
  await waitFor(() => outcomes.size >= 50, 60_000, '50 answers');
  const signalAt = Date.now();
  const exit = api.stop('SIGTERM');
  await all;
  t.same(await exit, { code: 0, signal: null }, 'the API exits 0');
  const exitedAfter = Date.now() - signalAt;

  // The API's log, complete now that it has exited, is in order: what it
  // logged as incoming before its close began it was handling or had answered.
  const lines = api.lines;
  t.ok(lines.findIndex(msg('shutting down')) > 0, 'the shutdown was the graceful one');
  const closeBegan = lines.findIndex(msg(CLOSING));
  const ours = (l: LogLine) => /^[sp]\d+$/.test(String(l.reqId));
  const received = lines
    .slice(0, closeBegan)
    .filter((l) => l.msg === 'incoming request' && ours(l))
    .map((l) => String(l.reqId));
  const inHand = received.filter((id) => outcomes.get(id)!.at >= signalAt);
  t.comment(
    `at SIGTERM: ${received.length} of ${2 * PUTS} received, ${inHand.length} of them not yet answered; ` +
      `exit ${exitedAfter} ms after the signal`,
  );
  t.ok(inHand.length >= 10, `the signal came under load (${inHand.length} in hand)`);
  t.same(
    received.filter((id) => outcomes.get(id)!.status !== 200).map((id) => `${id}: ${JSON.stringify(outcomes.get(id))}`),
    [],
    'every request the API had received was answered 200',
  );
  t.same(
    lines.filter((l) => l.level >= 50).map((l) => `${l.msg} ${JSON.stringify(l.err ?? '')}`),
    [],
    'no error-level line: nothing failed inside the API',
  );

  // Refused: no connection, or the API's own 503 body.
  const later = [...outcomes.entries()].filter(([id]) => !received.includes(id));
  for (const [id, o] of later) {
    if (o.error !== undefined) continue;
    if (o.status !== 503 || o.body?.code !== 'UNAVAILABLE' || o.headers?.['x-request-id'] !== id) {
      t.fail(`${id}, after the signal: neither refused nor the API's 503 body: ${JSON.stringify(o)}`);
    }
  }
  t.comment(
    `${later.length} requests after the signal, ${later.filter(([, o]) => o.status === 503).length} with a 503`,
  );

  const lastAnswer = lines.findLastIndex((l) => l.msg === 'request completed' && ours(l));
  t.ok(lines.findIndex(msg('database pool closed')) > lastAnswer, 'the database pool closed after the last answer');
  t.ok(lines.findIndex(msg('redis connection closed')) > lastAnswer, 'Redis closed after the last answer');
  const putsAnswered = [...outcomes.entries()].filter(([id, o]) => id.startsWith('p') && o.status === 200).length;
  t.equal(
    await prisma.smsMessage.count({ where: { recipient: { in: numbers } } }),
    putsAnswered,
    'every PUT answered 200 has its SMS row, and no other',
  );
  await t.rejects(fetch(`${url}/health/live`), 'afterwards nothing listens');
});

/** Bytes the kernel holds for the API's end of the connection from `clientPort`, not yet read by it. */
function unreadByServer(serverPort: number, clientPort: number): number | undefined {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  for (const row of readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
    const [, local, remote, , queues] = row.trim().split(/\s+/);
    if (local?.endsWith(`:${hex(serverPort)}`) && remote?.endsWith(`:${hex(clientPort)}`)) {
      return parseInt(queues!.split(':')[1]!, 16);
    }
  }
  return undefined;
}

// Only a connection with a request under way survives the close (Node closes
// the idle ones), so a request arrives during the close when its first bytes
// came before the signal and the rest after. It gets the API's 503 body
// (code UNAVAILABLE, correlation id = x-request-id), whichever route (the
// OpenAPI document here, served from a plugin context of its own), and
// `connection: close`; then the connection ends and the API exits 0.
t.test('a request that arrives while the API closes gets the API 503 body and connection: close', async (t) => {
  const config = await createTestConfig(t);
  const { proc: api, url } = await startApi(t, config);
  const port = Number(new URL(url).port);
  const socket = connect(port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  let answer = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
  const ended = once(socket, 'end');

  socket.write('GET /docs/json HTTP/1.1\r\nhost: api\r\n');
  await waitFor(() => unreadByServer(port, socket.localPort!) === 0, 10_000, 'the API to read the first bytes');
  const exit = api.stop('SIGTERM');
  await api.waitForLine(msg(CLOSING));
  socket.write('x-request-id: late1\r\n\r\n');
  await ended;

  const [head = '', body = ''] = answer.split('\r\n\r\n');
  t.match(head, /^HTTP\/1\.1 503 /, '503');
  t.match(head, /^connection: close$/im, 'connection: close');
  t.match(head, /^x-request-id: late1$/im, 'its x-request-id');
  t.same(
    JSON.parse(body),
    { code: 'UNAVAILABLE', status: 503, message: 'shutting down; retry', correlation_id: 'late1' },
    "the API's error body",
  );
  t.same(await exit, { code: 0, signal: null }, 'the API exits 0');
});
