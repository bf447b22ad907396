// The processor's rules that hold whatever the transport: a final row is never
// sent again, two claims never both win, a live lease is waited for; plus the
// log transport and the metrics endpoint.
import t from 'tap';
import { jobIdFor } from '@sms/jobs';
import { createDb, SmsMessagesRepository } from '@sms/db';
import { Messages } from '../src/messages';
import { startMetricsServer } from '../src/metrics-server';
import { LogTransport, type OutgoingSms, type Transport } from '../src/sms';
import { captureLogger, testWorker } from './helpers';

/** A transport that records what it was asked to send and accepts it. */
function recordingTransport(): Transport & { sent: OutgoingSms[] } {
  const sent: OutgoingSms[] = [];
  return {
    name: 'log',
    sent,
    async send(sms) {
      sent.push(sms);
      return { providerMessageId: `fake-${sent.length}` };
    },
    async close() {},
  };
}

t.test('log transport: one JSON line with to and body, row sent without a provider id', async (t) => {
  const w = await testWorker(t, { SMS_TRANSPORT: 'log' });
  t.equal(w.app.transport.name, 'log', 'SMS_TRANSPORT=log selects it');
  const message = await w.insert({ recipient: '+380671234567', body: 'Your verification code is 654321' });
  await w.enqueue(message.id);
  w.app.start();

  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.equal(row.providerMessageId, null);
  t.equal(row.attempts, 1);
  const lines = w.lines.filter((l) => l.messageId === message.id && 'to' in l);
  t.equal(lines.length, 1, 'one line per SMS');
  t.equal(lines[0]?.to, '+380671234567');
  t.equal(lines[0]?.body, 'Your verification code is 654321', 'the developer reads the code here');
});

t.test('LogTransport alone writes exactly one line', async (t) => {
  const { logger, lines } = captureLogger('info');
  const transport = new LogTransport(logger);
  t.same(await transport.send({ id: 'a'.repeat(32), to: '+380671234567', body: 'hello 1234' }), {
    providerMessageId: null,
  });
  t.equal(lines.length, 1);
  t.match(lines[0], {
    level: 30,
    transport: 'log',
    to: '+380671234567',
    body: 'hello 1234',
    messageId: 'a'.repeat(32),
  });
});

t.test('a sent row is never sent again: its job completes as a no-op', async (t) => {
  const transport = recordingTransport();
  const w = await testWorker(t, {}, { transport });
  const message = await w.insert({ status: 'sent', body: 'Your verification code is ••••••' });
  await w.enqueue(message.id);
  w.app.start();

  await w.waitForJob(message.id, 'completed');
  t.same(transport.sent, [], 'nothing sent');
  const row = await w.row(message.id);
  t.equal(row.status, 'sent');
  t.equal(row.attempts, 0);
});

// A job run again after its row failed (an operator's retry from the
// dashboard) once ended COMPLETED while nothing was sent.
t.test('a failed row is never sent again, and its job ends failed, not completed', async (t) => {
  const transport = recordingTransport();
  const w = await testWorker(t, {}, { transport });
  const message = await w.insert({ status: 'failed', body: 'Your verification code is ••••••' });
  await w.enqueue(message.id);
  w.app.start();

  await w.waitForJob(message.id, 'failed');
  const job = await w.app.queue.getJob(jobIdFor(message.id));
  t.equal(job?.failedReason, 'not sent: the message had already failed');
  t.same(transport.sent, [], 'nothing sent');
  const row = await w.row(message.id);
  t.equal(row.status, 'failed');
  t.equal(row.attempts, 0);
});

t.test('claims of one row from four workers at once: exactly one wins', async (t) => {
  const w = await testWorker(t);
  // Four pools, as four worker processes would have: their claims race on the
  // row's lock. (Within one process, claims of one turn share a transaction.)
  const workers = Array.from({ length: 4 }, () => {
    const db = createDb({ DATABASE_URL: w.app.config.DATABASE_URL, DATABASE_POOL_SIZE: 5 });
    t.teardown(() => db.close());
    return { db, messages: new Messages(new SmsMessagesRepository(db), 60_000) };
  });
  const message = await w.insert();
  // Connected first, so that the claims leave together rather than behind each pool's handshake.
  await Promise.all(workers.map(({ db }) => Promise.all(Array.from({ length: 5 }, () => db.ping()))));
  const outcomes = await Promise.all(
    workers.flatMap(({ messages }) => Array.from({ length: 5 }, () => messages.claim(message.id))),
  );
  t.equal(outcomes.filter((o) => o.claimed).length, 1, 'one claim of 20 concurrent ones');
  t.ok(
    outcomes.filter((o) => !o.claimed).every((o) => o.status === 'sending'),
    'the others see it sending',
  );
  const row = await w.row(message.id);
  t.equal(row.status, 'sending');
  t.equal(row.attempts, 1);
  t.ok(row.leaseExpireTime && row.leaseExpireTime.getTime() > Date.now() + 50_000, 'leased for SMS_LEASE_MS');
});

t.test('a sending row with a live lease is waited for, then taken over once the lease ends', async (t) => {
  const transport = recordingTransport();
  const w = await testWorker(t, {}, { transport });
  const leaseEnd = new Date(Date.now() + 1000);
  const message = await w.insert({ status: 'sending', leaseExpireTime: leaseEnd });
  await w.enqueue(message.id);
  w.app.start();

  await w.waitForJob(message.id, 'delayed');
  t.same(transport.sent, [], 'not sent while another worker may hold it');
  const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent after the lease');
  t.ok(Date.now() >= leaseEnd.getTime(), 'only after the lease ran out');
  t.equal(transport.sent.length, 1);
  t.equal(row.attempts, 1);
  t.equal(await w.waitForJob(message.id, 'completed'), 'completed');
  const job = await w.app.queue.getJob(jobIdFor(message.id));
  t.equal(job?.attemptsMade, 1, 'waiting for the lease used no attempt');
});

t.test(
  'a row claimed more often than SMS_MAX_ATTEMPTS (workers killed mid-send) fails instead of looping',
  async (t) => {
    const transport = recordingTransport();
    const w = await testWorker(t, { SMS_MAX_ATTEMPTS: '3' }, { transport });
    const message = await w.insert();
    await w.app.prisma.smsMessage.update({ where: { id: message.id }, data: { attempts: 3 } });
    await w.enqueue(message.id);
    w.app.start();

    const row = await w.waitRow(message.id, (r) => r.status === 'failed', 'failed');
    t.same(transport.sent, []);
    t.match(row.lastError, /gave up after 3 attempts/);
    t.equal(row.body, 'Your verification code is ••••••');
  },
);

t.test('metrics endpoint: Prometheus text and liveness', async (t) => {
  const transport = recordingTransport();
  const w = await testWorker(t, {}, { transport });
  const message = await w.insert();
  await w.enqueue(message.id);
  w.app.start();
  await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');

  const server = await startMetricsServer(w.app.metrics.registry, 0, '127.0.0.1');
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${server.port}`;
  const metrics = await fetch(`${base}/metrics`);
  t.equal(metrics.status, 200);
  t.match(metrics.headers.get('content-type'), /text\/plain/);
  const text = await metrics.text();
  for (const name of [
    'sms_messages_sent_total 1',
    'sms_messages_failed_total',
    'sms_send_retries_total',
    'sms_rate_limited_total 0',
    'sms_provider_alerts_total',
    'sms_provider_alert',
    'sms_queued_to_sent_seconds_count 1',
    'sms_queue_jobs{state="waiting"} 0',
    'sms_outbox_reenqueued_total 0',
  ]) {
    t.ok(text.includes(name), name);
  }
  const live = await fetch(`${base}/health/live`);
  t.equal(live.status, 200);
  t.same(await live.json(), { status: 'ok' });
  t.equal((await fetch(`${base}/nope`)).status, 404);
});
