// A second copy started beside a first one on the same machine: what it must
// change besides its database (DATABASE_URL) and Redis keys (QUEUE_PREFIX; every
// test file here runs on its own pair, in parallel on one MariaDB and Redis) is
// its ports. Left as the first copy's, each process stops at start with one
// line naming the variable, not a stack trace.
import { API_ENTRY, createTestConfig, serviceEnv, startApi, startProcess, startWorker } from '@sms/testing';
import t from 'tap';

t.test('a port already taken by the first copy is named', async (t) => {
  const first = await createTestConfig(t);
  const { url } = await startApi(t, first);
  const taken = new URL(url).port;
  const second = await createTestConfig(t);

  const api = startProcess('api-2', API_ENTRY, { teardown: t, env: { ...serviceEnv(second), PORT: taken } });
  t.same(await api.exited, { code: 1, signal: null }, 'the API exits 1');
  t.match(
    api.stderr().trim(),
    new RegExp(`^Cannot listen on PORT ${taken} \\(HOST 127\\.0\\.0\\.1\\): listen EADDRINUSE[^\\n]*$`),
    'one line naming PORT',
  );

  const worker = startWorker(t, second, { WORKER_METRICS_PORT: taken }, 'worker-2');
  t.same(await worker.exited, { code: 1, signal: null }, 'the worker exits 1');
  t.match(
    worker.stderr().trim(),
    new RegExp(`^Cannot listen on WORKER_METRICS_PORT ${taken}: listen EADDRINUSE[^\\n]*$`),
    'one line naming WORKER_METRICS_PORT',
  );
});
