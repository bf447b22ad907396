// The send-sms processor with the Bird transport, against the real MariaDB and
// Redis, with Bird faked at its HTTP boundary (nock) in the shapes of Bird's
// OpenAPI document as `@messagebird/sdk` carries it (`createSmsMessage`: 202
// `SmsMessage`; errors as `{"error": ErrorBody}`): each answer ends where the
// legacy transport's equivalent does (messagebird-processor.test.ts).
import nock from 'nock';
import t from 'tap';
import { jobIdFor } from '@sms/jobs';
import { waitForLine, type Teardown } from '@sms/testing';
import { fakeMessageBird } from './fake-messagebird';
import { metricValue, testWorker } from './helpers';
import { logsOf, noAnswerCases, sendOne, type Sent } from './provider-cases';

const KEY = 'bk_eu1_test0123456789';
const BIRD = 'https://eu1.platform.bird.com';
const REDACTED = 'Your verification code is ••••••';

// No request leaves the machine; the database and Redis still answer.
fakeMessageBird(t);

/** An interceptor for one POST /v1/sms/messages that records what it received. */
function bird(sent: Sent[]) {
  return nock(BIRD)
    .post('/v1/sms/messages', (body: Record<string, unknown>) => {
      sent.push({ body, at: Date.now() });
      return true;
    })
    .matchHeader('authorization', `Bearer ${KEY}`);
}

/** The 202 `SmsMessage` (only what a send returns before any carrier report). */
const accepted = (id: string) => ({
  id,
  direction: 'outbound',
  status: 'accepted',
  to: '+380508308443',
  from: 'Verify',
  text: '**REDACTED**',
  category: 'authentication',
  segments: { count: 1, encoding: 'GSM_7BIT', characters: 32 },
  metadata: {},
  created_at: '2026-11-30T10:00:00Z',
  sent_at: null,
  delivered_at: null,
});

/** `{"error": ErrorBody}`; codes are opaque `E#####` values, only type and name carry meaning. */
const birdError = (type: string, name: string, message: string, extra: Record<string, unknown> = {}) => ({
  error: {
    type,
    code: 'E00000',
    name,
    message,
    doc_url: 'https://bird.com/docs/errors/E00000',
    request_id: 'req_0123',
    ...extra,
  },
});

const BIRD_ENV = { SMS_TRANSPORT: 'bird', BIRD_ACCESS_KEY: KEY, BIRD_TIMEOUT_MS: '300' };
const birdWorker = (t: Teardown, env: Record<string, string> = {}) => testWorker(t, { ...BIRD_ENV, ...env });

t.test('202 with an id: sent, Bird id stored, our id in metadata, one attempt', async (t) => {
  const w = await birdWorker(t);
  t.equal(w.app.transport.name, 'bird', 'SMS_TRANSPORT=bird selects it');
  const sent: Sent[] = [];
  bird(sent).reply(202, accepted('0193a1c2-sms-0001'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.providerMessageId, '0193a1c2-sms-0001');
  t.equal(row.attempts, 1);
  t.equal(row.body, REDACTED, 'the code is gone from the row');
  t.same(
    sent[0]?.body,
    {
      from: 'Verify',
      to: '+380508308443',
      text: 'Your verification code is 123456',
      category: 'authentication',
      metadata: { message_id: message.id },
    },
    'Bird got the E.164 number, the text, the OTP category and our id',
  );
  t.equal(await w.waitForJob(message.id, 'completed'), 'completed');
  t.equal(await metricValue(w.app, 'sms_messages_sent_total'), 1);
});

for (const [status, type, name, text, param] of [
  [422, 'validation_error', 'SMSInvalidRecipient', 'The recipient cannot be routed', 'to'],
  [422, 'validation_error', 'SMSNoEligibleSender', 'No sender is eligible for this destination', 'from'],
  [400, 'bad_request_error', 'BadRequest', 'The request body is not valid JSON', undefined],
] as const) {
  t.test(`${status} ${type} (${name}): failed at once, one attempt, no retry`, async (t) => {
    const w = await birdWorker(t);
    const sent: Sent[] = [];
    const extra = param ? { param, details: [{ param, message: text }] } : {};
    bird(sent).reply(status, birdError(type, name, text, extra));
    const message = await sendOne(w);

    const row = await w.waitRow(message.id, (r) => r.status === 'failed', 'failed');
    t.equal(row.attempts, 1);
    t.equal(
      row.lastError,
      `Bird: HTTP ${status}, ${type} E00000 ${name}: ${text}` + (param ? ` (param: ${param}), ${param}: ${text}` : ''),
    );
    t.equal(row.body, REDACTED);
    t.equal(await w.waitForJob(message.id, 'failed'), 'failed');
    const job = await w.app.queue.getJob(jobIdFor(message.id));
    t.equal(job?.attemptsMade, 1, 'UnrecoverableError: no further attempt');
    t.equal(sent.length, 1);
    t.equal(await metricValue(w.app, 'sms_messages_failed_total', `reason="${type}"`), 1);
  });
}

for (const [status, type, body, alert] of [
  [401, 'auth_error', birdError('auth_error', 'Unauthorized', 'Invalid API key'), 'bad_key'],
  [401, 'no body (a proxy)', '', 'bad_key'],
  [403, 'permission_error', birdError('permission_error', 'Forbidden', 'The key may not send SMS'), 'bad_key'],
  [402, 'billing_error', birdError('billing_error', 'InsufficientBalance', 'Insufficient balance'), 'no_balance'],
] as const) {
  t.test(`${status} ${type}: alert, all sending paused, no attempt used, row stays queued`, async (t) => {
    const w = await birdWorker(t, { SMS_OPERATOR_PAUSE_MS: '60000' });
    bird([]).reply(status, body);
    const message = await sendOne(w);

    const line = await waitForLine(w.lines, (l) => l.alert === alert);
    t.equal(line.level, 50, 'logged as an error');
    t.match(line.msg, /^ALERT: the SMS provider \(bird\) refused the account/);
    const row = await w.row(message.id);
    t.equal(row.status, 'queued', 'the row waits');
    t.equal(row.attempts, 0, 'no attempt used');
    t.match(row.lastError, new RegExp(`^Bird: HTTP ${status}`));
    const ttl = await w.app.queue.getRateLimitTtl(w.config.SMS_SEND_RATE_PER_SECOND);
    t.ok(ttl > 50_000, `paused for SMS_OPERATOR_PAUSE_MS (ttl ${ttl})`);
    t.equal(await w.jobState(message.id), 'waiting', 'the job waits, it did not fail');
    t.equal(await metricValue(w.app, 'sms_provider_alerts_total', `reason="${alert}"`), 1);
  });
}

t.test('429 rate_limit_error: waits Retry-After, uses no attempt, then sends', async (t) => {
  const w = await birdWorker(t, { SMS_RATE_LIMIT_MS: '150' });
  const sent: Sent[] = [];
  bird(sent).reply(429, birdError('rate_limit_error', 'RateLimited', 'Too many requests'), { 'Retry-After': '1' });
  bird(sent).reply(202, accepted('sms-after-429'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.attempts, 1, 'only the successful request counts');
  t.equal(row.providerMessageId, 'sms-after-429');
  t.ok(sent[1]!.at - sent[0]!.at >= 900, `waited Retry-After (${sent[1]!.at - sent[0]!.at} ms)`);
  t.equal(await w.waitForJob(message.id, 'completed'), 'completed');
  t.equal(await metricValue(w.app, 'sms_rate_limited_total'), 1);
});

t.test('500 internal_error, 503 (HTML), then 202: retried with backoff and sent', async (t) => {
  const w = await birdWorker(t);
  const sent: Sent[] = [];
  bird(sent).reply(500, birdError('internal_error', 'InternalError', 'Something went wrong'));
  bird(sent).reply(503, '<html><body>Service Unavailable</body></html>');
  bird(sent).reply(202, accepted('sms-after-5xx'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.attempts, 3);
  t.equal(sent.length, 3);
  t.equal(await metricValue(w.app, 'sms_send_retries_total', 'reason="http_500"'), 1);
  t.equal(await metricValue(w.app, 'sms_send_retries_total', 'reason="http_503"'), 1);
});

t.test('500 on every attempt: failed with Bird’s error after SMS_MAX_ATTEMPTS', async (t) => {
  const w = await birdWorker(t);
  bird([])
    .times(3)
    .reply(500, birdError('internal_error', 'InternalError', 'Something went wrong'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'failed', 'failed');
  t.equal(row.attempts, 3);
  t.equal(row.lastError, 'Bird: HTTP 500, internal_error E00000 InternalError: Something went wrong');
  // The row is failed a moment before the processor counts it: wait for the job's end.
  t.equal(await w.waitForJob(message.id, 'failed'), 'failed');
  t.equal(await metricValue(w.app, 'sms_messages_failed_total', 'reason="http_500"'), 1);
});

t.test('409 request_in_progress: Bird is still on it; retried as possibly sent', async (t) => {
  const w = await birdWorker(t);
  bird([]).reply(409, birdError('conflict_error', 'request_in_progress', 'A request with this key is in progress'));
  bird([]).reply(202, accepted('sms-after-409'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.attempts, 2);
  const warning = logsOf(w.lines, message.id).find((l) => l.ambiguous === true);
  t.equal(warning?.reason, 'request_in_progress');
  t.equal(warning?.msg, 'Bird outcome unknown: the SMS may have been sent; retrying');
});

t.test('409 of any other kind is permanent, like every other 4xx', async (t) => {
  const w = await birdWorker(t);
  bird([]).reply(409, birdError('conflict_error', 'idempotency_key_reuse', 'Key used with another body'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'failed', 'failed');
  t.equal(row.attempts, 1);
  t.equal(await w.waitForJob(message.id, 'failed'), 'failed');
  t.equal(await metricValue(w.app, 'sms_messages_failed_total', 'reason="conflict_error"'), 1);
});

t.test('202 without an id: not a success; retried as possibly sent', async (t) => {
  const w = await birdWorker(t);
  bird([]).reply(202, { status: 'accepted' });
  bird([]).reply(202, accepted('sms-after-empty'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.attempts, 2);
  t.equal(row.providerMessageId, 'sms-after-empty');
  t.equal(await metricValue(w.app, 'sms_send_retries_total', 'reason="false_success"'), 1);
});

t.test('no answer within BIRD_TIMEOUT_MS: ambiguous, retried, sent', async (t) => {
  const w = await birdWorker(t);
  const sent: Sent[] = [];
  bird(sent).delay(1000).reply(202, accepted('sms-too-late'));
  bird(sent).reply(202, accepted('sms-in-time'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(sent.length, 2, 'the first request reached Bird before the timeout');
  t.same(sent[0]!.body.metadata, { message_id: message.id }, 'both carry our id, so webhooks find the row');
  t.equal(row.attempts, 2);
  t.equal(row.providerMessageId, 'sms-in-time');
  const warning = logsOf(w.lines, message.id).find((l) => l.ambiguous === true);
  t.equal(warning?.reason, 'timeout');
});

noAnswerCases(t, {
  worker: (t) => birdWorker(t),
  send: () => bird([]),
  accept: (interceptor, id) => interceptor.reply(202, accepted(id)),
});
