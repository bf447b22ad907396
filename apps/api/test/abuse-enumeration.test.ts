// Enumeration: unknown, pending and verified phones (and unknown and known
// logins) get the same status and body, in about the same time.
import t from 'tap';
import { body, buildTestApp, newUser } from './helpers';
import { freshPhone, lastCode, putPhone, resend, verify } from './sms-helpers';

const withoutId = (b: Record<string, unknown>) => ({ ...b, correlation_id: undefined });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed<T>(send: () => Promise<T>) {
  const started = process.hrtime.bigint();
  const res = await send();
  return { res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

t.test('unknown, pending and verified phones: same status and body, close in time', async (t) => {
  const { app } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '100000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '100000',
    // Per-address, per-phone and per-login budgets would answer 429 for the one
    // pending phone and known login long before the fresh unknown ones; this
    // test compares the answers below those budgets.
    SMS_MAX_PER_IP_PER_HOUR: '100000',
    CODE_MAX_FAILED_PER_PHONE_PER_DAY: '100000',
    SIGNIN_MAX_FAILED_PER_LOGIN: '100000',
  });
  const pendingUser = await newUser(app);
  const verifiedUser = await newUser(app);
  const pending = freshPhone();
  const verified = freshPhone();
  await putPhone(app, pendingUser.sessionId, pendingUser.userId, { phone: pending });
  await putPhone(app, verifiedUser.sessionId, verifiedUser.userId, { phone: verified });
  t.equal((await verify(app, verified, await lastCode(app, verified))).statusCode, 204);

  const ROUNDS = 60;
  const kinds = { unknown: [] as number[], pending: [] as number[], verified: [] as number[] };
  const answers = new Set<string>();
  for (let i = 0; i < 5; i++) await resend(app, freshPhone()); // warm-up
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, so drift in the machine's load hits all three alike.
    for (const kind of ['unknown', 'pending', 'verified'] as const) {
      const phone = kind === 'unknown' ? freshPhone() : kind === 'pending' ? pending : verified;
      const { res, ms } = await timed(() => resend(app, phone));
      kinds[kind].push(ms);
      answers.add(`${res.statusCode} ${res.body}`);
    }
  }
  t.same([...answers], ['204 '], 'resend: every answer 204 with an empty body');
  const m = { unknown: median(kinds.unknown), pending: median(kinds.pending), verified: median(kinds.verified) };
  t.comment(
    `resend median over ${ROUNDS}: unknown ${m.unknown.toFixed(2)} ms, pending ${m.pending.toFixed(2)} ms, ` +
      `verified ${m.verified.toFixed(2)} ms`,
  );
  // A pending phone's new code is stored and sent after the 204 (it once was
  // before it, and made pending phones several times slower to answer).
  t.ok(m.pending < m.unknown * 1.5 + 1, `resend: pending within 1.5× + 1 ms of unknown`);
  await app.verification.settled();

  // verify: a wrong code for a pending phone vs any code for an unknown phone.
  const vTimes = { unknown: [] as number[], pending: [] as number[] };
  const vAnswers = new Set<string>();
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 4 === 0) await resend(app, pending); // a fresh code before the attempt limit
    for (const kind of ['unknown', 'pending'] as const) {
      const phone = kind === 'unknown' ? freshPhone() : pending;
      const { res, ms } = await timed(() => verify(app, phone, '000000'));
      vTimes[kind].push(ms);
      vAnswers.add(`${res.statusCode} ${JSON.stringify(withoutId(body(res)))}`);
    }
  }
  t.equal(vAnswers.size, 1, `verify: one answer for both (${[...vAnswers].join(' | ')})`);
  const vm = { unknown: median(vTimes.unknown), pending: median(vTimes.pending) };
  t.comment(`verify median over ${ROUNDS}: unknown ${vm.unknown.toFixed(2)} ms, pending ${vm.pending.toFixed(2)} ms`);
  t.ok(vm.pending < vm.unknown * 1.5 + 1, 'verify: pending within 1.5× + 1 ms of unknown');

  // signin: unknown login vs a known login with a wrong password (scrypt either way).
  const sTimes = { unknown: [] as number[], known: [] as number[] };
  const sAnswers = new Set<string>();
  const account = await app.prisma.account.findUniqueOrThrow({ where: { id: pendingUser.userId } });
  for (let i = 0; i < 15; i++) {
    for (const kind of ['unknown', 'known'] as const) {
      const login = kind === 'unknown' ? `nobody${i}x${process.pid}` : account.login;
      const { res, ms } = await timed(() =>
        app.inject({ method: 'POST', url: '/api/v1/signin', payload: { login, password: 'wrong password!' } }),
      );
      sTimes[kind].push(ms);
      sAnswers.add(`${res.statusCode} ${JSON.stringify(withoutId(body(res)))}`);
    }
  }
  t.equal(sAnswers.size, 1, 'signin: one answer for both');
  const sm = { unknown: median(sTimes.unknown), known: median(sTimes.known) };
  t.comment(`signin median over 15: unknown ${sm.unknown.toFixed(2)} ms, known ${sm.known.toFixed(2)} ms`);
  t.ok(Math.abs(sm.known - sm.unknown) < Math.max(10, sm.known * 0.25), 'signin: within 25 % (scrypt both ways)');
});
