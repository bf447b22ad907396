// The `http` provider in the worker, against the real MariaDB and Redis and a
// gateway of the test's own (a real HTTP server on loopback) that checks every
// request's Standard Webhooks signature with a verifier written from the
// specification, not with the package the worker signs with.
import t from 'tap';
import { HTTP_PROVIDER_SECRET, startHttpGateway, waitFor, type HttpGateway, type Teardown } from '@sms/testing';
import { fakeMessageBird } from './fake-messagebird';
import { metricValue, testWorker } from './helpers';
import { logsOf, sendOne } from './provider-cases';

// MariaDB, Redis and the gateway answer on loopback; nothing else does.
fakeMessageBird(t);

async function httpWorker(t: Teardown, gateway: HttpGateway, env: Record<string, string> = {}) {
  return testWorker(t, {
    SMS_TRANSPORT: 'http',
    SMS_HTTP_URL: gateway.url,
    SMS_HTTP_SECRET: HTTP_PROVIDER_SECRET,
    SMS_HTTP_TIMEOUT_MS: '3000',
    ...env,
  });
}

t.test('200: sent, signed per Standard Webhooks, the JSON body of the contract, its id kept', async (t) => {
  const gateway = await startHttpGateway(t);
  const w = await httpWorker(t, gateway);
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.providerMessageId, `gw-${message.id}`, 'provider_message_id kept');
  t.equal(row.provider, 'http');
  t.equal(gateway.requests.length, 1);
  const request = gateway.requests[0]!;
  t.equal(request.signatureProblem, null, 'the signature checks out against the secret');
  t.same(request.body, { message_id: message.id, to: message.recipient, body: message.body, language: 'en' });
  t.equal(request.headers['webhook-id'], `${message.id}-1`, 'webhook-id: <message_id>-<attempt>');
  t.equal(request.headers['content-type'], 'application/json');
  // Counted just after the row is written.
  await waitFor(
    async () => (await metricValue(w.app, 'sms_provider_sent_total', 'provider="http"')) === 1,
    5000,
    'the count',
  );
});

t.test('a signature made with another secret does not check out (the verifier can fail)', async (t) => {
  const gateway = await startHttpGateway(t, `whsec_${Buffer.from('another-secret-0123456789').toString('base64')}`);
  const w = await httpWorker(t, gateway);
  const message = await sendOne(w);
  await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(gateway.requests[0]!.signatureProblem, 'signature');
});

t.test('2xx without a body: sent, no provider id', async (t) => {
  const gateway = await startHttpGateway(t);
  gateway.answer = () => ({ status: 202 });
  const w = await httpWorker(t, gateway);
  const message = await sendOne(w);
  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.providerMessageId, null);
});

t.test('another 4xx: failed at once, last_error holds the status and at most 200 characters', async (t) => {
  const gateway = await startHttpGateway(t);
  gateway.answer = () => ({ status: 422, body: { error: 'invalid number', detail: 'x'.repeat(500) } });
  const w = await httpWorker(t, gateway);
  const message = await sendOne(w);
  const row = await w.waitRow(message.id, (r) => r.status === 'failed', 'failed');
  t.equal(row.attempts, 1);
  t.equal(gateway.requests.length, 1, 'no retry');
  t.match(row.lastError, /^http: HTTP 422, \{"error":"invalid number","detail":"x+$/);
  t.equal(row.lastError!.length, 'http: HTTP 422, '.length + 200);
});

t.test('503, then 429 with Retry-After, then 200: retried with the same code, the wait honoured', async (t) => {
  const gateway = await startHttpGateway(t);
  const answers = [{ status: 503 }, { status: 429, headers: { 'retry-after': '1' } }];
  gateway.answer = (r) => answers.shift() ?? { status: 200, body: { provider_message_id: `gw-${r.body.message_id}` } };
  const w = await httpWorker(t, gateway);
  const message = await sendOne(w);
  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  const [first, second, third] = gateway.requests;
  t.equal(gateway.requests.length, 3);
  t.ok(third!.at - second!.at >= 900, `Retry-After honoured (${third!.at - second!.at} ms)`);
  t.same(new Set(gateway.requests.map((r) => r.body.body)), new Set([message.body]), 'the same text each time');
  t.same(
    [first, second, third].map((r) => r!.headers['webhook-id']),
    [`${message.id}-1`, `${message.id}-2`, `${message.id}-2`],
    'a new webhook-id per attempt (the 429 used none)',
  );
  t.equal(row.attempts, 2, 'the 429 refunded its attempt');
});

t.test('401: the provider is paused and the operator alerted; the message waits, not failed', async (t) => {
  const gateway = await startHttpGateway(t);
  gateway.answer = () => ({ status: 401, body: { error: 'bad signature' } });
  const w = await httpWorker(t, gateway, { SMS_OPERATOR_PAUSE_MS: '60000' });
  const message = await sendOne(w);
  await w.waitForJob(message.id, 'delayed').catch(() => undefined);
  const alert = await w.waitRow(message.id, (r) => r.status === 'queued' && r.lastError !== null, 'requeued');
  t.equal(alert.attempts, 0, 'no attempt used');
  const lines = logsOf(w.lines, message.id);
  t.ok(
    lines.some((l) => l.alert === 'bad_key' && l.level === 50),
    'an error line for operators',
  );
  t.equal((await w.app.health.states()).http, 'unhealthy');
  t.equal(gateway.requests.length, 1, 'not tried again during the pause');
});
