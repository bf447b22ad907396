// Slow and aborted request bodies, over real sockets: a trickled body is cut
// off after REQUEST_TIMEOUT_SECONDS with 408 REQUEST_TIMEOUT and the socket
// closed; a client that gives up mid-body is neither an error nor an outage.
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { loggerOptions } from '@sms/config';
import { createTestConfig, logSink, waitFor, waitForLine, type Teardown } from '@sms/testing';
import t from 'tap';
import { buildApp } from '../src/app';

async function listening(t: Teardown, overrides: Record<string, string>) {
  const config = await createTestConfig(t, { LOG_LEVEL: 'info', ...overrides });
  const sink = logSink();
  const app = await buildApp(config, { logger: { ...loggerOptions(config, 'api'), stream: sink.stream } });
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, ...sink };
}

/** A raw connection; `received()` is everything the server sent, `closed` settles when it hung up. */
function open(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {}); // the server closing on us is the point of these tests
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, closed, received: () => received };
}

const head = (length: number) =>
  'POST /api/v1/signin HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
  `Content-Length: ${length}\r\n\r\n`;

t.test('a trickled body is answered 408 REQUEST_TIMEOUT and the socket closed', async (t) => {
  const { port, lines } = await listening(t, { REQUEST_TIMEOUT_SECONDS: '1' });
  const client = open(port);
  const started = Date.now();
  client.socket.write(head(1000));
  // One byte every 200 ms: never idle, never complete.
  const trickle = setInterval(() => client.socket.writable && client.socket.write(' '), 200);
  t.teardown(() => clearInterval(trickle));
  await client.closed;
  clearInterval(trickle);
  const elapsed = Date.now() - started;
  t.ok(elapsed >= 900 && elapsed < 5000, `closed after ${elapsed} ms`);
  const [status, ...rest] = client.received().split('\r\n');
  t.equal(status, 'HTTP/1.1 408 Request Timeout');
  const body = JSON.parse(rest.slice(rest.indexOf('') + 1).join('\r\n')) as Record<string, unknown>;
  t.match(body, { code: 'REQUEST_TIMEOUT', status: 408 });
  t.type(body.correlation_id, 'string');
  // The cut-off request's own handler sees its body fail: a client abort, not an error.
  await waitForLine(lines, (l) => l.msg === 'request aborted by the client', 10_000, 'the abort to be logged');
  t.same(
    lines.filter((l) => l.level >= 40),
    [],
    'nothing at warn or error level',
  );
});

t.test('a client that aborts its body: no error, no 503, nothing at error level', async (t) => {
  const { port, lines } = await listening(t, {});
  for (let i = 0; i < 3; i++) {
    const client = open(port);
    client.socket.write(head(100) + '{"login":');
    const started = (n: number) => lines.filter((l) => l.msg === 'incoming request').length >= n;
    await waitFor(() => started(i + 1), 10_000, 'the request to start');
    client.socket.destroy();
    await client.closed;
  }
  await waitForLine(lines, (l) => l.msg === 'request aborted by the client', 10_000, 'the abort to be logged');
  await waitFor(
    () => lines.filter((l) => l.msg === 'request aborted by the client').length >= 3,
    10_000,
    'all three aborts',
  );
  const serious = lines.filter((l) => l.level >= 40);
  t.same(serious, [], 'nothing at warn or error level');
  t.notOk(JSON.stringify(lines).includes('UNAVAILABLE'), 'never taken for a database outage');
});
