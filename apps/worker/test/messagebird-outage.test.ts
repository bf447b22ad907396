// MessageBird misbehaving for a while, for a whole batch at once (the worker
// app against the real MariaDB and Redis, MessageBird faked with nock):
// - 500s, 503s and timeouts for a stretch, then recovery: every message ends
//   `sent` within SMS_MAX_ATTEMPTS, none failed, and the provider accepted each
//   message once, apart from copies a timeout had hidden (the documented
//   at-least-once window);
// - a bad key: sending stops for the whole queue (no message is attempted
//   again during the pause, no attempt is used up), operators are told by an
//   error log line and a metric; once the key works, everything goes out.
import nock from 'nock';
import t from 'tap';
import { waitFor, waitForLine } from '@sms/testing';
import { fakeMessageBird, MB } from './fake-messagebird';
import { metricValue, testWorker, type TestWorker } from './helpers';

fakeMessageBird(t);

const accepted = (id: string) => ({
  id,
  recipients: { totalCount: 1, totalSentCount: 1, items: [{ recipient: 380508308443, status: 'sent' }] },
});

async function batch(w: TestWorker, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const row = await w.insert({ recipient: `+38050${String(8300000 + i)}` });
    ids.push(row.id);
  }
  await w.enqueue(...ids);
  return ids;
}

const allInStatus = (w: TestWorker, ids: string[], status: string) =>
  w.app.prisma.smsMessage.count({ where: { id: { in: ids }, status: status as 'sent' } }).then((n) => n === ids.length);

t.test('500s, 503s and timeouts for a while, then recovery: every message sent within the retry budget', async (t) => {
  const MAX_ATTEMPTS = 8;
  const w = await testWorker(t, {
    SMS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    SMS_BACKOFF_MS: '100',
    MESSAGEBIRD_TIMEOUT_MS: '300',
    WORKER_CONCURRENCY: '10',
    // The retries alone: the provider is never set aside for a cool-down here (provider-failover.test.ts).
    SMS_PROVIDER_FAILURE_THRESHOLD: '1000',
  });
  const COUNT = 40;
  const OUTAGE_MS = 1500;
  let outageUntil = 0;
  let n = 0;
  let mode: 'ok' | '500' | '503' | 'timeout' = 'ok';
  const acceptedBy = new Map<string, number>(); // reference → 201s MessageBird sent back
  const hiddenBy = new Map<string, number>(); // reference → requests that reached it, answer lost to a timeout
  const seen = { '500': 0, '503': 0, timeout: 0, ok: 0 };
  const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  // The first matcher sees every request and decides its fate; the others follow that decision.
  nock(MB)
    .persist()
    .post('/messages', (body: { reference: string }) => {
      mode = Date.now() < outageUntil ? (['500', '503', 'timeout'] as const)[n++ % 3]! : 'ok';
      seen[mode]++;
      if (mode === 'timeout') count(hiddenBy, body.reference);
      return mode === '500';
    })
    .reply(500, { errors: [{ code: 99, description: 'Internal error', parameter: null }] });
  nock(MB)
    .persist()
    .post('/messages', () => mode === '503')
    .reply(503, '<html><body>Service Unavailable</body></html>');
  nock(MB)
    .persist()
    .post('/messages', () => mode === 'timeout')
    .delay(1000) // past MESSAGEBIRD_TIMEOUT_MS: MessageBird took it, the worker never hears
    .reply(201, accepted('mb-late'));
  nock(MB)
    .persist()
    .post('/messages', (body: { reference: string }) => {
      if (mode !== 'ok') return false;
      count(acceptedBy, body.reference);
      return true;
    })
    .reply(201, (_uri, body) => accepted(`mb-${(body as { reference: string }).reference}`));

  const ids = await batch(w, COUNT);
  outageUntil = Date.now() + OUTAGE_MS;
  w.app.start();
  const started = Date.now();
  await waitFor(() => allInStatus(w, ids, 'sent'), 60_000, `all ${COUNT} sent`);
  t.comment(
    `outage ${OUTAGE_MS} ms: ${seen['500']} × 500, ${seen['503']} × 503, ${seen.timeout} timeouts; ` +
      `all ${COUNT} sent ${Date.now() - started} ms after the start`,
  );
  t.ok(seen['500'] > 0 && seen['503'] > 0 && seen.timeout > 0, 'the outage hit with all three kinds');

  const rows = await w.app.prisma.smsMessage.findMany({ where: { id: { in: ids } } });
  t.equal(rows.filter((r) => r.status === 'failed').length, 0, 'none failed');
  const maxAttempts = Math.max(...rows.map((r) => r.attempts));
  t.ok(maxAttempts <= MAX_ATTEMPTS, `within the retry budget (at most ${maxAttempts} of ${MAX_ATTEMPTS} attempts)`);
  t.ok(
    rows.every((r) => r.providerMessageId === `mb-${r.id}`),
    'each row holds the id of the send MessageBird confirmed',
  );
  t.same(
    ids.filter((id) => acceptedBy.get(id) !== 1),
    [],
    'MessageBird confirmed each message exactly once',
  );
  const copies = [...hiddenBy.values()].reduce((a, b) => a + b, 0);
  t.comment(
    `${hiddenBy.size} messages had ${copies} extra copies reach MessageBird behind a timeout (the at-least-once window)`,
  );
  t.ok(await metricValue(w.app, 'sms_send_retries_total', 'reason="http_500"'), 'retries counted: http_500');
  t.ok(await metricValue(w.app, 'sms_send_retries_total', 'reason="http_503"'), 'retries counted: http_503');
  t.ok(await metricValue(w.app, 'sms_send_retries_total', 'reason="timeout"'), 'retries counted: timeout');
  t.equal(await metricValue(w.app, 'sms_messages_sent_total'), COUNT);
});

t.test(
  'a bad key: the whole batch stops being attempted, operators are told, it resumes once the key works',
  async (t) => {
    const PAUSE_MS = 2000;
    const w = await testWorker(t, { SMS_OPERATOR_PAUSE_MS: String(PAUSE_MS), WORKER_CONCURRENCY: '5' });
    const COUNT = 30;
    let keyWorks = false;
    const requests: { at: number; ok: boolean }[] = [];
    nock(MB)
      .persist()
      .post('/messages', () => {
        requests.push({ at: Date.now(), ok: keyWorks });
        return !keyWorks;
      })
      .reply(401, {
        errors: [{ code: 2, description: 'Request not allowed (incorrect access_key)', parameter: 'access_key' }],
      });
    nock(MB)
      .persist()
      .post('/messages', () => keyWorks)
      .reply(201, (_uri, body) => accepted(`mb-${(body as { reference: string }).reference}`));

    const ids = await batch(w, COUNT);
    w.app.start();
    const alert = await waitForLine(w.lines, (l) => l.alert === 'bad_key', 10_000, 'the alert');
    const firstRefusal = requests[0]!.at;
    t.equal(alert.level, 50, 'an error log line for operators');
    t.match(String(alert.msg), /ALERT/);
    t.equal(
      await metricValue(w.app, 'sms_provider_alert', 'reason="bad_key"'),
      1,
      'sms_provider_alert{reason="bad_key"} 1',
    );
    t.ok((await metricValue(w.app, 'sms_provider_alerts_total', 'reason="bad_key"')) >= 1, 'and counted');

    // Watch most of the pause: nothing new goes to MessageBird.
    const watchUntil = firstRefusal + PAUSE_MS - 300;
    await waitFor(() => Date.now() >= watchUntil, PAUSE_MS, 'most of the pause');
    const during = requests.filter((r) => r.at >= firstRefusal && r.at < watchUntil).length;
    t.ok(during <= 5, `at most the ${5} already in hand reached MessageBird during the pause (${during})`);
    const rows = await w.app.prisma.smsMessage.findMany({ where: { id: { in: ids } } });
    t.equal(rows.filter((r) => r.status === 'failed').length, 0, 'none failed');
    t.equal(rows.filter((r) => r.attempts > 0 && r.status !== 'sending').length, 0, 'no attempt used up');

    keyWorks = true; // the operator fixed the key
    await waitFor(() => allInStatus(w, ids, 'sent'), 30_000, `all ${COUNT} sent after the pause`);
    const resumed = requests.find((r) => r.ok)!.at;
    t.ok(resumed - firstRefusal >= PAUSE_MS - 100, `sending resumed after the pause (${resumed - firstRefusal} ms)`);
    t.equal(await metricValue(w.app, 'sms_provider_alert', 'reason="bad_key"'), 0, 'the alert clears after a success');
    const sent = await w.app.prisma.smsMessage.findMany({ where: { id: { in: ids } }, select: { attempts: true } });
    t.ok(
      sent.every((r) => r.attempts === 1),
      'one attempt each: the refused tries were not counted',
    );
  },
);
