// What the provider processor tests (messagebird-processor, bird-processor)
// share: sending one message, reading its log lines, and the cases where no
// answer arrives, which every transport must treat alike whatever its provider.
import type nock from 'nock';
import type tap from 'tap';
import type { LogLine, Teardown } from '@sms/testing';
import { metricValue, type TestWorker } from './helpers';

/** One request the fake provider received. */
export interface Sent {
  body: Record<string, unknown>;
  at: number;
}

export async function sendOne(w: TestWorker) {
  const message = await w.insert();
  await w.enqueue(message.id);
  w.app.start();
  return message;
}

export const logsOf = (lines: LogLine[], messageId: string) => lines.filter((l) => l.messageId === messageId);

export interface ProviderFake {
  worker(t: Teardown): Promise<TestWorker>;
  /** An interceptor for the next send request. */
  send(): nock.Interceptor;
  /** The provider's success answer, with its id. */
  accept(interceptor: nock.Interceptor, id: string): void;
}

/** A reset after the request was written, and a refused connection, each followed by a success. */
export function noAnswerCases(t: typeof tap, fake: ProviderFake) {
  t.test('a connection reset: ambiguous, retried, sent', async (t) => {
    const w = await fake.worker(t);
    fake.send().replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    fake.accept(fake.send(), 'id-after-reset');
    const message = await sendOne(w);

    const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
    t.equal(row.attempts, 2);
    t.equal(row.providerMessageId, 'id-after-reset');
    const warning = logsOf(w.lines, message.id).find((l) => l.ambiguous === true);
    t.equal(warning?.reason, 'connection_reset');
  });

  t.test('a connection refused (never sent): retried, not ambiguous', async (t) => {
    const w = await fake.worker(t);
    fake.send().replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    fake.accept(fake.send(), 'id-after-refused');
    const message = await sendOne(w);

    const row = await w.waitRow(message.id, (r) => r.status === 'sent', 'sent');
    t.equal(row.attempts, 2);
    t.notOk(logsOf(w.lines, message.id).some((l) => l.ambiguous === true));
    t.equal(await metricValue(w.app, 'sms_send_retries_total', 'reason="network"'), 1);
  });
}
