// Failover across SMS_TRANSPORT=http,bird in the worker, against the real
// MariaDB and Redis: the http gateway is a real server of the test's own, Bird
// is faked with nock. A retryable failure goes on to the next provider with
// the same row (the same code); a provider that keeps failing is set aside and
// probed after the cool-down; with none healthy, messages wait.
import nock from 'nock';
import t from 'tap';
import { HTTP_PROVIDER_SECRET, startHttpGateway, waitFor, type HttpGateway, type Teardown } from '@sms/testing';
import { birdAccepts, BIRD_KEY, BIRD_URL, type BirdSms } from './fake-bird';
import { fakeMessageBird } from './fake-messagebird';
import { metricValue, testWorker } from './helpers';
import { logsOf, sendOne } from './provider-cases';

// MariaDB, Redis and the gateway answer on loopback; Bird through nock; nothing else.
fakeMessageBird(t);

function failoverWorker(t: Teardown, gateway: HttpGateway, env: Record<string, string> = {}) {
  return testWorker(t, {
    SMS_TRANSPORT: 'http,bird',
    SMS_HTTP_URL: gateway.url,
    SMS_HTTP_SECRET: HTTP_PROVIDER_SECRET,
    SMS_HTTP_TIMEOUT_MS: '3000',
    BIRD_ACCESS_KEY: BIRD_KEY,
    BIRD_TIMEOUT_MS: '3000',
    ...env,
  });
}

t.test('a 503 from the first provider: the same text goes to the next one at once', async (t) => {
  const gateway = await startHttpGateway(t);
  gateway.answer = () => ({ status: 503, body: 'down' });
  const bird: BirdSms[] = [];
  birdAccepts(bird);
  const w = await failoverWorker(t, gateway);
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.providerMessageId, `bird-${message.id}`, 'Bird took it');
  t.equal(row.provider, 'bird', 'and the row says so');
  t.equal(row.attempts, 1, 'one attempt, two providers');
  t.same(bird, [{ id: message.id, text: message.body }], 'the same text, so the same code');
  t.equal(gateway.requests.length, 1);
  t.equal(await metricValue(w.app, 'sms_provider_failed_total', 'provider="http",reason="http_503"'), 1);
  // Counted just after the row is written.
  await waitFor(
    async () => (await metricValue(w.app, 'sms_provider_sent_total', 'provider="bird"')) === 1,
    5000,
    'the count',
  );
});

t.test(
  'ambiguous: the gateway took the request but answered too late; the next provider sends the same code',
  async (t) => {
    const gateway = await startHttpGateway(t);
    gateway.answer = () => ({ status: 200, delayMs: 1500 });
    const bird: BirdSms[] = [];
    birdAccepts(bird);
    const w = await failoverWorker(t, gateway, { SMS_HTTP_TIMEOUT_MS: '300' });
    const message = await sendOne(w);

    const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
    t.equal(row.providerMessageId, `bird-${message.id}`, 'sent through Bird without waiting');
    t.equal(gateway.accepted.length, 1, 'the gateway took it too (the user may get two texts)');
    t.equal(gateway.accepted[0]!.body.body, bird[0]!.text, 'both carry the same code');
    t.ok(
      logsOf(w.lines, message.id).some((l) => l.ambiguous === true && l.reason === 'timeout'),
      'logged as possibly sent',
    );
  },
);

t.test('a run of failures sets the first provider aside; after the cool-down one probe brings it back', async (t) => {
  const gateway = await startHttpGateway(t);
  let down = true;
  gateway.answer = (r) =>
    down ? { status: 500 } : { status: 200, body: { provider_message_id: `gw-${r.body.message_id}` } };
  const bird: BirdSms[] = [];
  birdAccepts(bird);
  const w = await failoverWorker(t, gateway, {
    SMS_PROVIDER_FAILURE_THRESHOLD: '2',
    SMS_PROVIDER_COOLDOWN_SECONDS: '2',
  });
  w.app.start();
  const send = async () => {
    const m = await w.insert();
    await w.enqueue(m.id);
    return w.waitRow(m.id, (r) => r.status === 'sent', 'sent');
  };
  for (let i = 0; i < 3; i++) await send();
  t.equal(gateway.requests.length, 2, 'after two failures in a row the gateway is skipped');
  t.equal(bird.length, 3, 'Bird sent all three');
  t.equal((await w.app.health.states()).http, 'unhealthy');
  t.equal(w.lines.filter((l) => /^SMS provider http unhealthy/.test(String(l.msg))).length, 1, 'one warn line');

  down = false;
  await waitFor(async () => (await w.app.health.states()).http === 'probing', 5000, 'the cool-down');
  const probed = await send();
  t.equal(probed.providerMessageId, `gw-${probed.id}`, 'the probe went to the gateway and succeeded');
  t.equal((await w.app.health.states()).http, 'healthy');
  t.equal(w.lines.filter((l) => /^SMS provider http recovered/.test(String(l.msg))).length, 1, 'one recovery line');
  const after = await send();
  t.equal(after.providerMessageId, `gw-${after.id}`, 'traffic is back on the first provider');
});

t.test('none healthy: the message waits with no attempt used, one alert, and goes out when one recovers', async (t) => {
  const gateway = await startHttpGateway(t);
  let keyWorks = false;
  gateway.answer = (r) =>
    keyWorks ? { status: 200, body: { provider_message_id: `gw-${r.body.message_id}` } } : { status: 403 };
  nock(BIRD_URL)
    .persist()
    .post('/v1/sms/messages')
    .reply(402, { error: { type: 'billing_error', message: 'no funds' } });
  const w = await failoverWorker(t, gateway, { SMS_OPERATOR_PAUSE_MS: '1500' });
  const message = await sendOne(w);

  await waitFor(() => w.lines.some((l) => l.alert === 'no_provider'), 10_000, 'the alert');
  const waiting = await w.row(message.id);
  t.equal(waiting.status, 'queued', 'waiting, not failed');
  t.equal(waiting.attempts, 0, 'no attempt used');
  t.equal(await metricValue(w.app, 'sms_no_provider_total'), 1);
  keyWorks = true;
  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent after the pause');
  t.equal(row.providerMessageId, `gw-${message.id}`);
  t.equal(w.lines.filter((l) => l.alert === 'no_provider').length, 1, 'one alert line');
});
