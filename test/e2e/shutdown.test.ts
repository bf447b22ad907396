// A client that stops reading an answer must not hold the API's shutdown: after
// the drain has answered every request received, the connections left are
// closed. (Before: the process waited for such a connection until its 25 s
// kill timer, exit 1 — about one SIGTERM in two after a cancelled download.)
import { createTestConfig, startApi } from '@sms/testing';
import t from 'tap';

t.test('an API process whose client cancelled an unread answer stops at once on SIGTERM', async (t) => {
  const config = await createTestConfig(t);
  // Whether the unread rest is still in flight depends on timing: four tries.
  for (let i = 1; i <= 4; i++) {
    const { proc, url } = await startApi(t, config);
    const answer = await fetch(`${url}/docs/json`);
    t.equal(answer.status, 200);
    // This process keeps its keep-alive connection and stops reading.
    await answer.body?.cancel();
    const started = Date.now();
    // Killed after 10 s if it has not exited by then (the bug's symptom).
    t.same(await proc.stop('SIGTERM', 10_000), { code: 0, signal: null }, `try ${i}: exit 0`);
    t.ok(Date.now() - started < 10_000, `try ${i}: stopped in ${Date.now() - started} ms`);
  }
});
