// Hostile input that needs a real socket: oversized and broken headers,
// broken HTTP. Never a 5xx, no stack trace, a 4xx carries the contract's error
// body with the correlation id of x-request-id, and the server keeps serving.
import { connect } from 'node:net';
import t from 'tap';
import { buildTestApp } from './helpers';

/** One raw HTTP exchange on a real socket; resolves with what the server wrote. */
function rawHttp(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(data) : reject(err)));
    socket.end(request);
  });
}

t.test('over a real socket: oversized and broken headers, broken HTTP', async (t) => {
  const { app: server } = await buildTestApp(t);
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as { port: number };
  const huge = 'a'.repeat(64 * 1024);
  const statuses: string[] = [];
  const cases: [string, string][] = [
    ['oversized x-session-id', `GET /api/v1/accounts/current HTTP/1.1\r\nHost: x\r\nx-session-id: ${huge}\r\n\r\n`],
    ['many headers', `GET /health/live HTTP/1.1\r\nHost: x\r\n${'x-a: b\r\n'.repeat(3000)}\r\n`],
    ['oversized URL', `GET /api/v1/sms_settings/${huge} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['control character in a header', 'GET /health/live HTTP/1.1\r\nHost: x\r\nx-session-id: a\u0001b\r\n\r\n'],
    ['header without a colon', 'GET /health/live HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n'],
    [
      'bad content-length',
      'POST /api/v1/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}',
    ],
    [
      'two content-lengths',
      'POST /api/v1/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    ],
    [
      'content-length beyond the body',
      'POST /api/v1/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{}',
    ],
    ['not HTTP', 'HELLO\r\n\r\n'],
    ['bad method', 'BREW /api/v1/signin HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['bad version', 'GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['a NUL in the path', 'GET /api/v1/sms_settings/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n'],
    [
      'chunked garbage',
      'POST /api/v1/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    ],
  ];
  for (const [name, request] of cases) {
    const answer = await rawHttp(port, request);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
    t.ok(status < 500, `${name}: no 5xx (${status || 'closed'})`);
    t.notMatch(answer, /\bat .+\.(ts|js):\d+/, `${name}: no stack trace`);
    if (status >= 400) {
      const [head = '', text = ''] = answer.split('\r\n\r\n');
      const requestId = /^x-request-id: (.+)$/im.exec(head)?.[1];
      const error = JSON.parse(text) as Record<string, unknown>;
      t.match(error, { code: 'INVALID_REQUEST', status, message: String }, `${name}: the contract's error body`);
      t.equal(error.correlation_id, requestId, `${name}: correlation id = x-request-id`);
      t.match(head, /^x-content-type-options: nosniff$/im, `${name}: nosniff`);
    }
    statuses.push(`${name}: ${status || 'closed'}`);
  }
  t.comment(statuses.join('; '));
  // The server still serves after all that.
  const res = await fetch(`http://127.0.0.1:${port}/health/live`);
  t.equal(res.status, 200, 'still serving');
});
