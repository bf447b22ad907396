// The `messagebird` SDK adds a `timeout` listener to the socket on every
// request and never removes it. nock cannot show this: it gives every request
// a fresh mock socket and bypasses the agent. So this test runs the SDK
// against a real TLS server on 127.0.0.1 (a self-signed certificate for
// rest.messagebird.com, in fixtures/), through real sockets, a few thousand
// times: first on a keep-alive agent (Node 20's default) to show the leak,
// then on the worker's agent to show listeners and heap stay flat.
import dc from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { pino } from 'pino';
import t from 'tap';
import { createMessageBirdAgent } from '../src/sms/agent';
import { MessageBirdTransport } from '../src/sms/messagebird';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const key = fixture('fake-messagebird-key.pem');
const cert = fixture('fake-messagebird-cert.pem');

const SENDS = 3000;
const WARMUP = 300;
const CONCURRENCY = 10;

let served = 0;
let answer429 = false;
const server = https.createServer({ key, cert }, (req, res) => {
  req.resume();
  req.on('end', () => {
    if (answer429) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
      res.end('{}');
      return;
    }
    served += 1;
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `mb-${served}`, recipients: { totalCount: 1, totalSentCount: 1 } }));
  });
});

// Every response's socket, as the SDK left it: how many `timeout` listeners it carries.
let maxTimeoutListeners = 0;
const sockets = new WeakSet<object>();
let distinctSockets = 0;
const onResponse = (message: unknown) => {
  const socket = (message as { request: ClientRequest }).request.socket;
  if (!socket) return;
  maxTimeoutListeners = Math.max(maxTimeoutListeners, socket.listenerCount('timeout'));
  if (!sockets.has(socket)) {
    sockets.add(socket);
    distinctSockets += 1;
  }
};

const warnings: string[] = [];
let controlGrowthMb = Infinity;
const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);

t.before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dc.subscribe('http.client.response.finish', onResponse);
  process.on('warning', onWarning);
});
t.teardown(async () => {
  dc.unsubscribe('http.client.response.finish', onResponse);
  process.off('warning', onWarning);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Connect to the fake server whatever host the SDK asks for; trust its certificate. */
const route = (): https.AgentOptions => ({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca: cert });

async function sendMany(transport: MessageBirdTransport, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const result = await transport.send({ id: `m${i}`, to: '+380508308443', body: `code ${i}` });
        if (!result.providerMessageId) throw new Error('no provider id');
      }
    }),
  );
}

const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

async function measure(agent: https.Agent) {
  maxTimeoutListeners = 0;
  distinctSockets = 0;
  warnings.length = 0;
  const transport = new MessageBirdTransport({
    accessKey: 'test_key',
    originator: 'Verify',
    timeoutMs: 5000,
    logger: pino({ level: 'silent' }),
    agent,
  });
  try {
    await sendMany(transport, WARMUP);
    const before = heapMb();
    const started = Date.now();
    await sendMany(transport, SENDS);
    const ms = Date.now() - started;
    const after = heapMb();
    const listenerWarnings = warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')).length;
    return { growthMb: after - before, ms, maxTimeoutListeners, distinctSockets, listenerWarnings };
  } finally {
    await transport.close();
  }
}

t.test('control: the SDK on a keep-alive agent piles timeout listeners onto reused sockets', async (t) => {
  const result = await measure(new https.Agent({ ...route(), keepAlive: true }));
  controlGrowthMb = result.growthMb;
  t.comment(`keep-alive agent: ${JSON.stringify(result)}`);
  t.ok(
    result.distinctSockets <= CONCURRENCY * 2,
    `sockets were reused (${result.distinctSockets} for ${SENDS + WARMUP} sends)`,
  );
  t.ok(result.maxTimeoutListeners > 100, `listeners piled up (${result.maxTimeoutListeners} on one socket)`);
  t.ok(result.listenerWarnings > 0, 'Node warned about it (MaxListenersExceededWarning)');
  t.ok(result.growthMb > 5, `heap grew ${result.growthMb.toFixed(2)} MB over ${SENDS} sends`);
});

t.test(`the worker's agent: ${SENDS} sends, listeners and heap stay flat`, async (t) => {
  const result = await measure(createMessageBirdAgent(route()));
  t.comment(`worker agent: ${JSON.stringify(result)}`);
  t.equal(result.distinctSockets, SENDS + WARMUP, 'every request had a socket of its own');
  t.ok(
    result.maxTimeoutListeners <= 2,
    `at most 2 timeout listeners on any socket (saw ${result.maxTimeoutListeners})`,
  );
  t.equal(result.listenerWarnings, 0, 'no MaxListenersExceededWarning');
  t.ok(result.growthMb < 3, `heap grew ${result.growthMb.toFixed(2)} MB over ${SENDS} sends`);
  t.ok(result.growthMb < controlGrowthMb / 4, `against ${controlGrowthMb.toFixed(2)} MB with keep-alive`);
});

t.test('over real sockets too, a 429 without an errors list is seen as a rate limit, not a success', async (t) => {
  const transport = new MessageBirdTransport({
    accessKey: 'test_key',
    originator: 'Verify',
    timeoutMs: 5000,
    logger: pino({ level: 'silent' }),
    agent: createMessageBirdAgent(route()),
  });
  t.teardown(() => transport.close());
  answer429 = true;
  t.teardown(() => {
    answer429 = false;
  });
  await t.rejects(transport.send({ id: 'm429', to: '+380508308443', body: 'x' }), {
    name: 'SendError',
    kind: 'rate_limited',
    statusCode: 429,
    retryAfterMs: 2000,
  });
});
