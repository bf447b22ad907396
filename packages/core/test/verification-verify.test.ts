// VerificationService.verify against a real database and Redis: what a
// phone's owner sees when verifying with a code, and what an attacker
// guessing codes or phones learns (nothing more than "wrong").
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import t from 'tap';
import { hashCode } from '../src/codes';
import { VerificationService } from '../src/verification';
import { errorOf, newAccount, newPhone, rejection, to } from './fixture';
import { INVALID_CODE, verificationServices } from './verification-fixture';

const { s, pending, verifiedOf } = await verificationServices(t);

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

t.test('the code sent verifies the phone, once; the settings then say verified', async (t) => {
  const phone = newPhone();
  const { userId, code } = await pending(phone);
  await s.verification.verify(phone, code);
  t.match(await verifiedOf(userId), { phone, verified: true, codeHash: null, codeExpireTime: null });
  t.same(await errorOf(s.verification.verify(phone, code)), INVALID_CODE, 'a used code is spent');
});

t.test('the phone may be typed the way people write it', async (t) => {
  const phone = '+48512999001';
  const { userId, code } = await pending(phone);
  await s.verification.verify('+48 512-999-001', code);
  t.equal((await verifiedOf(userId))?.verified, true);
});

t.test('a wrong code, an unknown phone and an expired code all answer INVALID_CODE', async (t) => {
  const phone = newPhone();
  const { userId, code } = await pending(phone);
  t.same(await errorOf(s.verification.verify(phone, wrong(code))), INVALID_CODE, 'wrong code');
  t.same(await errorOf(s.verification.verify(newPhone(), code)), INVALID_CODE, 'unknown phone');
  t.equal((await verifiedOf(userId))?.verified, false, 'a wrong code verifies nothing');

  await s.db.prisma.smsSettings.update({ where: { userId }, data: { codeExpireTime: new Date(Date.now() - 1000) } });
  t.same(await errorOf(s.verification.verify(phone, code)), INVALID_CODE, 'expired');
  t.equal((await verifiedOf(userId))?.verified, false);
});

t.test('after CODE_MAX_ATTEMPTS tries even the right code is refused, like a wrong one', async (t) => {
  const phone = newPhone();
  const { userId, code } = await pending(phone);
  for (let i = 0; i < 3; i++) {
    t.same(await errorOf(s.verification.verify(phone, wrong(code))), INVALID_CODE, `wrong try ${i + 1}`);
  }
  t.same(await errorOf(s.verification.verify(phone, code)), INVALID_CODE, 'the fourth try, right code');
  t.equal((await verifiedOf(userId))?.verified, false);
});

t.test('the last allowed attempt may still be the right code', async (t) => {
  const phone = newPhone();
  const { userId, code } = await pending(phone);
  for (let i = 0; i < 2; i++) await rejection(s.verification.verify(phone, wrong(code)));
  await s.verification.verify(phone, code);
  t.equal((await verifiedOf(userId))?.verified, true);
});

t.test('wrong codes per phone are capped across new codes: TOO_MANY_ATTEMPTS with Retry-After', async (t) => {
  const phone = newPhone();
  const userId = await newAccount(s);
  // Six wrong codes allowed per day, over two codes of three attempts each.
  for (let round = 0; round < 2; round++) {
    const { code } = await s.codes.send(userId, to(phone));
    for (let i = 0; i < 3; i++) await rejection(s.verification.verify(phone, wrong(code)));
  }
  const { code } = await s.codes.send(userId, to(phone));
  const refused = await errorOf(s.verification.verify(phone, code));
  t.match(refused, { status: 429, code: 'TOO_MANY_ATTEMPTS' });
  t.ok(refused.retryAfter! > 86_000 && refused.retryAfter! <= 86_400, `about a day: ${refused.retryAfter} s`);
  t.equal((await verifiedOf(userId))?.verified, false, 'the right code is not even compared');
  t.same(await errorOf(s.verification.verify(newPhone(), '000000')), INVALID_CODE, 'another phone has its own budget');
});

t.test('one wrong-code budget per phone however it is written', async (t) => {
  const { userId, code } = await pending('+48512999004');
  const writings = ['+48512999004', '+48 512 999 004', '+48-512-999-004'];
  // Six wrong codes a day (CODE_MAX_FAILED_PER_PHONE_PER_DAY), two in each writing.
  for (const written of [...writings, ...writings]) {
    t.same(await errorOf(s.verification.verify(written, wrong(code))), INVALID_CODE, `wrong code as ${written}`);
  }
  for (const written of writings) {
    t.match(await errorOf(s.verification.verify(written, code)), { status: 429, code: 'TOO_MANY_ATTEMPTS' }, written);
  }
  t.equal((await verifiedOf(userId))?.verified, false);
});

t.test('right codes do not use up the wrong-code budget', async (t) => {
  const phone = newPhone();
  const userId = await newAccount(s);
  // More right codes than the daily budget of wrong ones (6), the phone unverified again between them.
  for (let i = 0; i < 7; i++) {
    const { code } = await s.codes.send(userId, to(phone));
    await s.verification.verify(phone, code);
    t.equal((await verifiedOf(userId))?.verified, true, `right code ${i + 1}`);
    await s.db.prisma.smsSettings.update({ where: { userId }, data: { verified: false, verifiedPhone: null } });
  }
});

t.test('a phone verified by another account meanwhile: PHONE_IN_USE, and the budget is given back', async (t) => {
  const phone = newPhone();
  const userId = await newAccount(s);
  const holder = await newAccount(s);
  const { code: first } = await s.codes.send(userId, to(phone));
  await s.repositories.smsSettings.setVerified(holder, phone);
  t.same(await errorOf(s.verification.verify(phone, first)), { status: 409, code: 'PHONE_IN_USE' });
  t.equal((await verifiedOf(userId))?.verified, false);
  // More of them than the daily budget of wrong codes (6): none is counted as one.
  for (let i = 0; i < 6; i++) {
    const { code } = await s.codes.send(userId, to(phone));
    t.same(await errorOf(s.verification.verify(phone, code)), { status: 409, code: 'PHONE_IN_USE' }, `again ${i}`);
  }
});

t.test("with a session, only that account's code verifies", async (t) => {
  const phone = newPhone();
  const mine = await pending(phone);
  const other = await newAccount(s);
  t.same(await errorOf(s.verification.verify(phone, mine.code, other)), INVALID_CODE, "another account's code");
  await s.verification.verify(phone, mine.code, mine.userId);
  t.equal((await verifiedOf(mine.userId))?.verified, true);
});

t.test("with a session, the code of the account's own phone verifies no other phone", async (t) => {
  const [mine, theirs] = [newPhone(), newPhone()];
  const me = await pending(mine);
  const them = await pending(theirs);
  t.same(await errorOf(s.verification.verify(theirs, me.code, me.userId)), INVALID_CODE, 'a phone another awaits');
  t.same(await errorOf(s.verification.verify(newPhone(), me.code, me.userId)), INVALID_CODE, 'a phone nobody awaits');
  const row = (userId: string) => s.db.prisma.smsSettings.findUniqueOrThrow({ where: { userId } });
  t.match(await row(me.userId), { phone: mine, verified: false, verifiedPhone: null }, 'nothing verified');
  t.match(await row(them.userId), { phone: theirs, verified: false, verifiedPhone: null });
  await s.verification.verify(mine, me.code, me.userId);
  t.match(await row(me.userId), { phone: mine, verified: true, verifiedPhone: mine }, 'its own phone, still');
});

t.test('two accounts waiting on one phone: without a session no code verifies, with one it does', async (t) => {
  const phone = newPhone();
  const first = await pending(phone);
  const second = await pending(phone);
  t.same(await errorOf(s.verification.verify(phone, first.code)), INVALID_CODE, "the first's code");
  t.same(await errorOf(s.verification.verify(phone, second.code)), INVALID_CODE, "the second's code");
  await s.verification.verify(phone, second.code, second.userId);
  t.equal((await verifiedOf(second.userId))?.verified, true);
  t.equal((await verifiedOf(first.userId))?.verified, false);
});

t.test('the code is compared in constant time: crypto.timingSafeEqual alone decides', async (t) => {
  // An ordinary `===` on the hashes behaves the same in every other test; only
  // a comparison that does not go through timingSafeEqual ignores its verdict.
  // The builtin is replaced where every importer sees it (its named ESM
  // exports are synced to it), so no module loader is needed: Stryker's runner has none.
  const builtin = crypto as unknown as { timingSafeEqual: typeof crypto.timingSafeEqual };
  const real = builtin.timingSafeEqual;
  let judge = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => real(a, b);
  const compared: string[] = [];
  builtin.timingSafeEqual = (a, b) => {
    compared.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
    return judge(a, b);
  };
  syncBuiltinESMExports();
  t.teardown(() => {
    builtin.timingSafeEqual = real;
    syncBuiltinESMExports();
  });
  const phone = newPhone();
  const { userId, code } = await pending(phone);

  judge = () => false;
  t.same(await errorOf(s.verification.verify(phone, code)), INVALID_CODE, 'the right code, judged unequal');
  t.same(compared, [hashCode(s.config.APP_SECRET, code)], 'the hash of the typed code was compared');
  t.equal((await verifiedOf(userId))?.verified, false);

  judge = real;
  await s.verification.verify(phone, code);
  t.equal((await verifiedOf(userId))?.verified, true, 'judged equal: verified');
});

t.test('one code typed twice at the same moment verifies once', async (t) => {
  const phone = newPhone();
  const { userId, code } = await pending(phone);
  // Both attempts are counted before either compares, as when two requests race.
  const real = s.repositories.smsSettings;
  let arrived = 0;
  let release!: () => void;
  const bothCounted = new Promise<void>((resolve) => (release = resolve));
  const racing = new VerificationService({
    smsSettings: {
      findPendingUser: (p) => real.findPendingUser(p),
      countAttempt: async (p, max) => {
        const counted = await real.countAttempt(p, max);
        if (++arrived === 2) release();
        await bothCounted;
        return counted;
      },
      verifyWithCode: (...args) => real.verifyWithCode(...args),
    },
    config: s.config,
    codes: s.codes,
    failures: { reserve: async () => 0, refund: async () => {} },
    messages: s.messages,
    testNumbers: s.testNumbers,
  });
  const outcomes = await Promise.allSettled([racing.verify(phone, code), racing.verify(phone, code)]);
  t.same(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
  const refused = outcomes.find((o) => o.status === 'rejected');
  t.match(refused && refused.reason, { status: 400, code: 'INVALID_CODE' });
  t.equal((await verifiedOf(userId))?.verified, true);
});
