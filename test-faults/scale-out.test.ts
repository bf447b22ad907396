// Scale-out: two API processes and two worker processes on one MariaDB and one
// Redis. 1,000 concurrent PUTs with new phones, spread over both APIs: every
// one answered 200, 1,000 SMS, each sent exactly once (the workers' log
// transport is the record). Then the limits, hit through both APIs at once:
// per phone (from rotating client IPs), per IP, and the verify attempt limit.
import { createDb } from '@sms/db';
import {
  call,
  createTestConfig,
  session,
  smsLines,
  startApi,
  startWorker,
  waitFor,
  workerStarted,
  type Proc,
} from '@sms/testing';
import t from 'tap';
import { phones, resendsFromOneAddress, resendsOfOnePhone, seedUsers, waitForAllSent } from './lib/fixtures';

const COUNT = 1000;

t.test(
  'two APIs, two workers: 1,000 concurrent PUTs → 1,000 SMS, each once; limits hold across instances',
  async (t) => {
    const config = await createTestConfig(t);
    const { prisma, close } = createDb(config);
    t.teardown(close);

    const workerEnv = { WORKER_CONCURRENCY: '50', SMS_SEND_RATE_PER_SECOND: '2000', DATABASE_POOL_SIZE: '10' };
    const workers = [startWorker(t, config, workerEnv, 'worker-a'), startWorker(t, config, workerEnv, 'worker-b')];
    const apiEnv = {
      DATABASE_POOL_SIZE: '20',
      TRUST_PROXY: '127.0.0.1', // X-Forwarded-For names the client: the test plays many clients
      IP_RATE_LIMIT_PER_MINUTE: '20',
      SMS_RESEND_COOLDOWN_SECONDS: '0',
      SMS_MAX_PER_PHONE_PER_HOUR: '3',
      // The test plays 1000 accounts behind one address sending 1000 SMS at once.
      SMS_MAX_PER_IP_PER_HOUR: '100000',
      SMS_MAX_PER_COUNTRY_PER_HOUR: '100000',
      SMS_GLOBAL_MAX_PER_MINUTE: '100000',
      CODE_MAX_FAILED_PER_PHONE_PER_DAY: '100000',
      LOG_LEVEL: 'warn',
    };
    const [a, b] = await Promise.all([startApi(t, config, apiEnv), startApi(t, config, apiEnv)]);
    await Promise.all(workers.map(workerStarted));
    const apis = [a!.url, b!.url];

    const users = await seedUsers(prisma, COUNT, 'scale');
    const numbers = phones(COUNT, 700);
    const started = Date.now();
    const answers = await Promise.all(
      users.map((u, i) =>
        call(apis[i % 2]!, 'PUT', `/api/v1/sms_settings/${u.userId}`, { phone: numbers[i] }, session(u.sessionId)),
      ),
    );
    const putMs = Date.now() - started;
    const statuses = new Map<number, number>();
    for (const r of answers) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    t.same([...statuses], [[200, COUNT]], `all ${COUNT} PUTs answered 200 (${JSON.stringify([...statuses])})`);
    for (const api of [a!.proc, b!.proc]) {
      const errors = api.lines.filter((l) => l.level >= 50).slice(0, 3);
      if (errors.length) t.comment(`${api.name} errors: ${JSON.stringify(errors).slice(0, 1500)}`);
    }
    const accepted = statuses.get(200) ?? 0;
    const latencies = answers.map((r) => r.ms).sort((x, y) => x - y);
    t.comment(
      `${COUNT} concurrent PUTs over 2 APIs in ${putMs} ms; latency p50 ${Math.round(latencies[COUNT / 2]!)} ms, ` +
        `p99 ${Math.round(latencies[Math.floor(COUNT * 0.99)]!)} ms, max ${Math.round(latencies.at(-1)!)} ms`,
    );

    await waitForAllSent(prisma, accepted, 120_000);
    t.comment(`all ${COUNT} sent ${Date.now() - started} ms after the first PUT`);

    const record = workers.flatMap((w) => smsLines(w));
    const perPhone = new Map<string, number>();
    for (const line of record) perPhone.set(String(line.to), (perPhone.get(String(line.to)) ?? 0) + 1);
    t.equal(record.length, accepted, `one SMS per accepted PUT in the transports' record (${record.length})`);
    t.same(
      numbers.filter((p, i) => (perPhone.get(p) ?? 0) !== (answers[i]!.status === 200 ? 1 : 0)),
      [],
      'each accepted PUT: exactly one SMS to its phone; a refused one: none',
    );
    t.equal(new Set(record.map((l) => l.messageId)).size, record.length, 'no message id twice');
    const byA = smsLines(workers[0]!).length;
    t.ok(byA > 0 && byA < record.length, `both workers sent (a ${byA}, b ${record.length - byA})`);
    t.equal(await prisma.smsMessage.count({ where: { attempts: { not: 1 } } }), 0, 'one attempt each');

    // Per-phone hourly cap (3), through both APIs, each request from another client IP.
    const capped = numbers[0]!; // its PUT was SMS 1 of the hour
    const pumped = await resendsOfOnePhone(apis, capped, 30);
    t.equal(pumped.filter((r) => r.status === 204).length, 2, 'two more SMS in the hour for that phone, no more');
    t.equal(pumped.filter((r) => r.status === 429 && r.body?.code === 'TOO_MANY_REQUESTS').length, 28);
    // A resend stores its SMS just after answering: wait for the two accepted ones to land.
    const cappedCount = () => prisma.smsMessage.count({ where: { recipient: capped } });
    await waitFor(async () => (await cappedCount()) >= 3, 10_000, 'the accepted resends stored');
    t.equal(await cappedCount(), 3);

    // Per-IP limit (20 a minute), one client IP, both APIs, a new phone each time.
    const perIp = await resendsFromOneAddress(apis, phones(40, 701), '198.51.100.7');
    t.same(perIp.slice(0, 20), Array(20).fill(204), '20 requests a minute from one IP');
    t.same(perIp.slice(20), Array(20).fill(429), 'then 429, from either API');

    // Verify attempt limit: 40 parallel guesses over both APIs, from 40 client IPs.
    const target = numbers[1]!;
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call(
          apis[i % 2]!,
          'POST',
          '/api/v1/sms_settings/verify',
          { phone: target, code: String(1_000_000 + i).slice(1) },
          { 'x-forwarded-for': `198.19.${i}.1` },
        ),
      ),
    );
    const invalid = guesses.filter((r) => r.body?.code === 'INVALID_CODE').length;
    // A dead code answers INVALID_CODE like a wrong one; how many were compared is the row's count.
    const { codeAttempts } = await prisma.smsSettings.findFirstOrThrow({ where: { phone: target } });
    // One of the 40 guesses may be the right code (1 in 25,000): then it wins and the rest are INVALID_CODE.
    const won = guesses.some((r) => r.status === 204);
    t.ok(codeAttempts === 5 || won, `exactly CODE_MAX_ATTEMPTS compared (${codeAttempts})`);
    t.equal(invalid, 40 - (won ? 1 : 0), 'the rest refused');

    const exits = await Promise.all([a!.proc, b!.proc, ...workers].map((p: Proc) => p.stop('SIGTERM')));
    t.same(exits, Array(4).fill({ code: 0, signal: null }), 'all four processes exit 0');
  },
);
