// SIGTERM to the API under load: every request the API had received when the
// signal came is answered in full (none cut, no 5xx), new connections are
// refused afterwards, and the process exits 0. The load is sign-ins (scrypt,
// tens of ms each on a small thread pool) and PUTs, so that hundreds are
// still in flight when the signal arrives.
import { createDb } from '@sms/db';
import { call, createTestConfig, session, startApi, waitFor, type Answer } from '@sms/testing';
import t from 'tap';
import { phones, seedUsers } from './lib/fixtures';

const SIGNINS = 200;
const PUTS = 200;

t.test('SIGTERM under load: in-flight requests complete, then the API exits 0', async (t) => {
  const config = await createTestConfig(t);
  const { prisma, close } = createDb(config);
  t.teardown(close);
  const { proc: api, url } = await startApi(t, config, {
    IP_RATE_LIMIT_PER_MINUTE: '100000',
    DATABASE_POOL_SIZE: '10',
  });

  const login = `term${process.pid}`;
  const password = 'correct horse battery';
  t.equal((await call(url, 'POST', '/api/v1/signup', { login, name: login, password })).status, 201);
  const users = await seedUsers(prisma, PUTS, 'term');
  const numbers = phones(PUTS, 703);

  // Each request carries its own x-request-id, so the API's log says which it received.
  const settled = new Map<string, { answer?: Answer; error?: string; at: number }>();
  const track = (id: string, p: Promise<Answer>) =>
    p.then(
      (answer) => settled.set(id, { answer, at: Date.now() }),
      (err: Error) =>
        settled.set(id, { error: `${err.message} ${String((err.cause as Error)?.message ?? '')}`, at: Date.now() }),
    );
  const all = Promise.all([
    ...Array.from({ length: SIGNINS }, (_, i) =>
      track(`s${i}`, call(url, 'POST', '/api/v1/signin', { login, password }, { 'x-request-id': `s${i}` })),
    ),
    ...users.map((u, i) =>
      track(
        `p${i}`,
        call(
          url,
          'PUT',
          `/api/v1/sms_settings/${u.userId}`,
          { phone: numbers[i] },
          {
            ...session(u.sessionId),
            'x-request-id': `p${i}`,
          },
        ),
      ),
    ),
  ]);
  // Under way: stop it.
  await waitFor(() => settled.size >= 50, 30_000, '50 answers');
  const signalAt = Date.now();
  const exit = api.stop('SIGTERM');
  await all;
  t.same(await exit, { code: 0, signal: null }, 'the API exits 0');
  const exitedAfter = Date.now() - signalAt;

  // Received by the API (its log, complete now that it has exited) = in flight or done.
  const received = new Set(
    api.lines
      .filter((l) => l.msg === 'incoming request' && /^[sp]\d+$/.test(String(l.reqId)))
      .map((l) => String(l.reqId)),
  );
  const inFlight = [...received].filter((id) => (settled.get(id)?.at ?? Infinity) >= signalAt);
  t.comment(
    `at SIGTERM: ${received.size} of ${SIGNINS + PUTS} received, ${inFlight.length} of them not yet answered; ` +
      `exit ${exitedAfter} ms after the signal`,
  );
  t.ok(inFlight.length >= 50, `the signal came under load (${inFlight.length} in flight)`);
  const cut = [...received].filter((id) => settled.get(id)?.answer?.status !== 200);
  t.same(
    cut.map((id) => `${id}: ${JSON.stringify(settled.get(id))}`),
    [],
    'every request the API received was answered 200, none cut',
  );
  const notReceived = [...settled.keys()].filter((id) => !received.has(id));
  t.ok(
    notReceived.every((id) => settled.get(id)!.error || settled.get(id)!.answer!.status === 503),
    `requests arriving after the signal were refused (${notReceived.length})`,
  );
  const answeredPuts = [...received].filter((id) => id.startsWith('p')).length;
  t.equal(
    await prisma.smsMessage.count({ where: { recipient: { in: numbers } } }),
    answeredPuts,
    'every PUT that was answered has its SMS row',
  );
  t.ok(
    api.lines.some((l) => l.msg === 'shutting down'),
    'the shutdown was the graceful one',
  );
  await t.rejects(fetch(`${url}/health/live`), 'afterwards nothing listens');
});
