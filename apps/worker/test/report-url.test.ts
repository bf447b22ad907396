// What the worker asks of MessageBird for delivery reports, and the funnel's
// first counter: MessageBird faked at its HTTP boundary (nock).
import nock from 'nock';
import t from 'tap';
import { fakeMessageBird, MB } from './fake-messagebird';
import { metricValue, testWorker } from './helpers';

fakeMessageBird(t);

t.test('with PUBLIC_URL, each SMS names the report URL and our id; the sent SMS counts for its country', async (t) => {
  const w = await testWorker(t, { PUBLIC_URL: 'https://sms.example.test' });
  const bodies: Record<string, unknown>[] = [];
  nock(MB)
    .post('/messages', (body: Record<string, unknown>) => bodies.push(body) > 0)
    .reply(201, { id: 'mb-report-1', recipients: { totalCount: 1, totalSentCount: 1 } });
  const message = await w.insert();
  await w.enqueue(message.id);
  w.app.start();

  await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
  t.match(bodies[0], {
    reference: message.id,
    reportUrl: 'https://sms.example.test/api/v1/webhooks/messagebird',
  });
  t.equal(await w.waitForJob(message.id, 'completed'), 'completed');
  t.equal(await metricValue(w.app, 'sms_codes_sent_total', 'country="UA"'), 1);
});
