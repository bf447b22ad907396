// The send-sms processor with the MessageBird transport, against the real
// MariaDB and Redis, with MessageBird faked at its HTTP boundary (nock): one
// case per answer MessageBird can give, each ending in the row state and the
// attempt count the retry policy says.
import nock from 'nock';
import t from 'tap';
import { jobIdFor } from '@sms/jobs';
import { waitForLine } from '@sms/testing';
import { fakeMessageBird, MB } from './fake-messagebird';
import { metricValue, testWorker } from './helpers';
import { logsOf, noAnswerCases, sendOne, type Sent } from './provider-cases';

const REDACTED = 'Your verification code is ••••••';

fakeMessageBird(t);

/** An interceptor for one POST /messages that records what it received. */
function mb(sent: Sent[]) {
  return nock(MB)
    .post('/messages', (body: Record<string, unknown>) => {
      sent.push({ body, at: Date.now() });
      return true;
    })
    .matchHeader('authorization', 'AccessKey test_key');
}

const accepted = (id: string, totalSentCount = 1) => ({
  id,
  href: `${MB}/messages/${id}`,
  direction: 'mt',
  type: 'sms',
  originator: 'Verify',
  body: 'Your verification code is 123456',
  reference: null,
  recipients: {
    totalCount: 1,
    totalSentCount,
    totalDeliveredCount: 0,
    totalDeliveryFailedCount: 0,
    items: [{ recipient: 380508308443, status: 'sent', statusDatetime: '2026-11-25T10:02:59+00:00' }],
  },
});

const mbErrors = (code: number, description: string, parameter?: string) => ({
  errors: [{ code, description, parameter: parameter ?? null }],
});

t.test('201 with an id: sent, provider id stored, text redacted, one attempt', async (t) => {
  const w = await testWorker(t);
  const sent: Sent[] = [];
  mb(sent).reply(201, accepted('mb-0001'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.providerMessageId, 'mb-0001');
  t.equal(row.attempts, 1);
  t.equal(row.body, REDACTED, 'the code is gone from the row');
  t.ok(row.sentTime, 'sentTime set');
  t.equal(row.lastError, null);
  t.equal(row.leaseExpireTime, null);
  t.same(
    sent[0]?.body,
    {
      originator: 'Verify',
      recipients: '380508308443',
      body: 'Your verification code is 123456',
      reference: message.id,
    },
    'MessageBird got the text, the MSISDN and our id as reference',
  );
  // The row turns `sent` a moment before the processor counts it: wait for the job's end.
  t.equal(await w.waitForJob(message.id, 'completed'), 'completed');
  t.equal(await metricValue(w.app, 'sms_messages_sent_total'), 1);
  t.equal(await metricValue(w.app, 'sms_queued_to_sent_seconds_count'), 1);
});

t.test('201 without an id, then 201 with totalSentCount 0: neither is success; the third try is', async (t) => {
  const w = await testWorker(t);
  const sent: Sent[] = [];
  mb(sent).reply(201, {});
  mb(sent).reply(201, accepted('mb-empty', 0));
  mb(sent).reply(201, accepted('mb-0003'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(sent.length, 3);
  t.equal(row.providerMessageId, 'mb-0003');
  t.equal(row.attempts, 3, 'both false successes were real attempts');
  t.equal(await metricValue(w.app, 'sms_send_retries_total', 'reason="false_success"'), 1);
  t.equal(await metricValue(w.app, 'sms_send_retries_total', 'reason="not_sent"'), 1);
  const ambiguous = logsOf(w.lines, message.id).filter((l) => l.ambiguous === true);
  t.equal(ambiguous.length, 1, 'a 2xx without id is logged as ambiguous (MessageBird may have sent it)');
});

t.test('201 without an id on every attempt: failed after the last one', async (t) => {
  const w = await testWorker(t, { SMS_MAX_ATTEMPTS: '2' });
  mb([]).times(2).reply(201, { id: null });
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'failed', 'failed');
  t.equal(row.attempts, 2);
  t.match(row.lastError, /without a message id/);
  t.equal(row.body, REDACTED);
  t.equal(row.providerMessageId, null);
  t.equal(await w.waitForJob(message.id, 'failed'), 'failed');
});

for (const [status, code, description] of [
  [422, 9, 'no (correct) recipients found'],
  [422, 10, 'originator is invalid'],
  [422, 21, 'Bad request'],
  [404, 20, 'message not found'],
] as const) {
  t.test(`${status} code ${code}: failed at once, one attempt, no retry`, async (t) => {
    const w = await testWorker(t);
    const sent: Sent[] = [];
    mb(sent).reply(status, mbErrors(code, description, 'recipients'));
    const message = await sendOne(w);

    const row = await w.waitRow(message.id, (r) => r.status === 'failed', 'failed');
    t.equal(row.attempts, 1);
    t.match(row.lastError, new RegExp(`HTTP ${status}, code ${code}: ${description.replace(/[()]/g, '\\$&')}`));
    t.equal(row.body, REDACTED);
    t.equal(await w.waitForJob(message.id, 'failed'), 'failed');
    const job = await w.app.queue.getJob(jobIdFor(message.id));
    t.equal(job?.attemptsMade, 1, 'UnrecoverableError: no further attempt');
    t.equal(sent.length, 1);
    t.equal(await metricValue(w.app, 'sms_messages_failed_total', `reason="code_${code}"`), 1);
  });
}

t.test(
  '401 code 2 (bad key): alert, all sending paused, no attempt used, row stays queued, resumes after the pause',
  async (t) => {
    const w = await testWorker(t, { SMS_OPERATOR_PAUSE_MS: '1500' });
    const sent: Sent[] = [];
    mb(sent).reply(401, mbErrors(2, 'Request not allowed (incorrect access_key)', 'access_key'));
    mb(sent).reply(201, accepted('mb-after-fix'));
    const message = await sendOne(w);

    const alert = await waitForLine(w.lines, (l) => l.alert === 'bad_key');
    t.equal(alert.level, 50, 'logged as an error');
    const paused = await w.row(message.id);
    t.equal(paused.status, 'queued', 'the row waits');
    t.equal(paused.attempts, 0, 'no attempt used');
    t.match(paused.lastError, /code 2: Request not allowed \(incorrect access_key\)/);
    t.ok((await w.app.queue.getRateLimitTtl(w.config.SMS_SEND_RATE_PER_SECOND)) > 0, 'the whole queue is rate limited');
    t.equal(await metricValue(w.app, 'sms_provider_alerts_total', 'reason="bad_key"'), 1);
    t.equal(await metricValue(w.app, 'sms_provider_alert', 'reason="bad_key"'), 1);

    const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent after the pause');
    t.equal(row.attempts, 1);
    t.equal(await w.waitForJob(message.id, 'completed'), 'completed', 'the job ends after the row is sent');
    t.ok(sent[1]!.at - sent[0]!.at >= 1400, `no request during the pause (${sent[1]!.at - sent[0]!.at} ms)`);
    const job = await w.app.queue.getJob(jobIdFor(message.id));
    t.equal(job?.attemptsStarted, 2, 'the job ran twice');
    t.equal(job?.attemptsMade, 1, 'but only the successful run counts as an attempt');
    t.equal(
      await metricValue(w.app, 'sms_provider_alert', 'reason="bad_key"'),
      0,
      'alert gauge clears after a success',
    );
  },
);

t.test('code 25 (no balance): alert and pause like a bad key', async (t) => {
  const w = await testWorker(t, { SMS_OPERATOR_PAUSE_MS: '60000' });
  mb([]).reply(402, mbErrors(25, 'Not enough balance'));
  const message = await sendOne(w);

  await waitForLine(w.lines, (l) => l.alert === 'no_balance');
  const row = await w.row(message.id);
  t.equal(row.status, 'queued');
  t.equal(row.attempts, 0);
  t.match(row.lastError, /code 25: Not enough balance/);
  const ttl = await w.app.queue.getRateLimitTtl(w.config.SMS_SEND_RATE_PER_SECOND);
  t.ok(ttl > 50_000, `paused for SMS_OPERATOR_PAUSE_MS (ttl ${ttl})`);
  t.equal(await w.jobState(message.id), 'waiting', 'the job waits, it did not fail');
  t.equal(await metricValue(w.app, 'sms_provider_alerts_total', 'reason="no_balance"'), 1);
});

t.test('429: waits Retry-After, uses no attempt, then sends', async (t) => {
  const w = await testWorker(t);
  const sent: Sent[] = [];
  mb(sent).reply(429, mbErrors(429, 'Too many requests'), { 'Retry-After': '1' });
  mb(sent).reply(429, {}); // no `errors`: the SDK alone would call this a success
  mb(sent).reply(201, accepted('mb-0429'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.attempts, 1, 'only the successful request counts');
  t.equal(row.providerMessageId, 'mb-0429');
  t.equal(sent.length, 3);
  t.ok(sent[1]!.at - sent[0]!.at >= 900, `waited Retry-After (${sent[1]!.at - sent[0]!.at} ms)`);
  t.ok(sent[2]!.at - sent[1]!.at >= 100, `waited SMS_RATE_LIMIT_MS (${sent[2]!.at - sent[1]!.at} ms)`);
  // The row is written before BullMQ records the run's end: read the job once it has.
  t.equal(await w.waitForJob(message.id, 'completed'), 'completed');
  const job = await w.app.queue.getJob(jobIdFor(message.id));
  t.equal(job?.attemptsStarted, 3, 'the job ran three times');
  t.equal(job?.attemptsMade, 1, 'but the rate-limited runs used no attempt');
  t.equal(await metricValue(w.app, 'sms_rate_limited_total'), 2);
});

t.test('500, 503 (HTML), then 201: retried with backoff and sent', async (t) => {
  const w = await testWorker(t);
  const sent: Sent[] = [];
  mb(sent).reply(500, '');
  mb(sent).reply(503, '<html><body>Service Unavailable</body></html>');
  mb(sent).reply(201, accepted('mb-0500'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.attempts, 3);
  t.equal(sent.length, 3);
  t.equal(await metricValue(w.app, 'sms_send_retries_total', 'reason="http_500"'), 1);
  t.equal(await metricValue(w.app, 'sms_send_retries_total', 'reason="http_503"'), 1);
});

t.test('500 on every attempt: failed with the provider error after SMS_MAX_ATTEMPTS', async (t) => {
  const w = await testWorker(t);
  mb([]).times(2).reply(500, mbErrors(99, 'Internal error'));
  mb([]).reply(500, '');
  const message = await sendOne(w);

  // Between attempts the row is back to queued with the error and when it is due again.
  const retrying = await w.waitRow(message.id, (r) => r.status === 'queued' && r.attempts >= 1, 'queued for a retry');
  t.match(retrying.lastError, /HTTP 500/);

  const row = await w.waitRow(message.id, (r) => r.status === 'failed', 'failed');
  t.equal(row.attempts, 3);
  t.match(row.lastError, /MessageBird: HTTP 500, response failed/);
  t.equal(row.body, REDACTED);
  t.equal(await w.waitForJob(message.id, 'failed'), 'failed');
  const job = await w.app.queue.getJob(jobIdFor(message.id));
  t.equal(job?.attemptsMade, 3);
  t.equal(await metricValue(w.app, 'sms_messages_failed_total', 'reason="http_500"'), 1);
});

t.test('a timeout after the request was sent: ambiguous, retried, sent', async (t) => {
  const w = await testWorker(t);
  const sent: Sent[] = [];
  mb(sent).delay(1000).reply(201, accepted('mb-too-late'));
  mb(sent).reply(201, accepted('mb-0408'));
  const message = await sendOne(w);

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(sent.length, 2, 'the first request reached MessageBird before the timeout');
  t.equal(sent[0]!.body.reference, message.id, 'both carry our reference, so delivery reports can be matched');
  t.equal(row.attempts, 2);
  t.equal(row.providerMessageId, 'mb-0408');
  const warning = logsOf(w.lines, message.id).find((l) => l.ambiguous === true);
  t.equal(warning?.reason, 'timeout');
  t.equal(await metricValue(w.app, 'sms_send_retries_total', 'reason="timeout"'), 1);
});

noAnswerCases(t, {
  worker: (t) => testWorker(t),
  send: () => mb([]),
  accept: (interceptor, id) => interceptor.reply(201, accepted(id)),
});

t.test('401 with no error body (a proxy, or a key revoked upstream): the same alert and pause as code 2', async (t) => {
  const w = await testWorker(t, { SMS_OPERATOR_PAUSE_MS: '60000' });
  mb([]).reply(401, '');
  const message = await sendOne(w);

  const alert = await waitForLine(w.lines, (l) => l.alert === 'bad_key');
  t.equal(alert.level, 50, 'logged as an error');
  const row = await w.row(message.id);
  t.equal(row.status, 'queued', 'the row waits');
  t.equal(row.attempts, 0, 'no attempt used');
  t.equal(await metricValue(w.app, 'sms_provider_alert', 'reason="bad_key"'), 1);
});
