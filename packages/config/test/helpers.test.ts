import t from 'tap';
import { outageLog, withTimeout } from '@sms/config';

t.test('withTimeout settles as the promise does, or rejects once the time is up', async (t) => {
  t.equal(await withTimeout(Promise.resolve(1), 1000), 1);
  await t.rejects(withTimeout(Promise.reject(new Error('boom')), 1000), /boom/);
  const never = new Promise<never>(() => {});
  await t.rejects(withTimeout(never, 10, 'enqueue'), {
    name: 'TimeoutError',
    message: 'enqueue timed out after 10 ms',
  });
  // A rejection after the timeout is nobody's to handle: it must not surface as unhandled.
  const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('late')), 20));
  await t.rejects(withTimeout(late, 5), { name: 'TimeoutError' });
  await new Promise((resolve) => setTimeout(resolve, 30));
});

t.test('outageLog reports an outage once per cause, and its end once', async (t) => {
  const outage = outageLog();
  t.notOk(outage.recovered(), 'nothing to recover from');
  t.ok(outage.failed(new Error('ECONNREFUSED')), 'the first error starts the outage');
  t.notOk(outage.failed(new Error('ECONNREFUSED')), 'the same error again is not news');
  t.ok(outage.failed(new Error('ETIMEDOUT')), 'a new cause is');
  t.ok(outage.recovered(), 'the outage ended');
  t.notOk(outage.recovered(), 'and ends once');
  t.ok(outage.failed(new Error('ETIMEDOUT')), 'the next outage is logged again');
});
