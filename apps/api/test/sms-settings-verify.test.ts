// POST /api/v1/sms_settings/verify: wrong, unknown, reused and expired codes
// answer alike; the attempt limit, also under concurrent guesses; two accounts
// racing to verify one phone.
import t from 'tap';
import { body, buildTestApp, newUser } from './helpers';
import { freshPhone, lastCode, putPhone, resend, roomy, verify, verifyAs } from './sms-helpers';

t.test('verify', async (t) => {
  const { app } = await buildTestApp(t, roomy);
  const user = await newUser(app);
  const phone = freshPhone();
  await putPhone(app, user.sessionId, user.userId, { phone });
  const code = await lastCode(app, phone);
  const wrong = code === '000000' ? '000001' : '000000';

  const invalid = async (p: string, c: string, why: string) => {
    const res = await verify(app, p, c);
    t.equal(res.statusCode, 400, why);
    t.equal(body(res).code, 'INVALID_CODE', why);
    t.notMatch(res.body, new RegExp(code), `${why}: the code is never echoed`);
    return res;
  };
  const wrongAnswer = await invalid(phone, wrong, 'wrong code');
  const unknownAnswer = await invalid(freshPhone(), code, 'unknown phone');
  const strip = (b: Record<string, unknown>) => ({ ...b, correlation_id: undefined });
  t.same(strip(body(wrongAnswer)), strip(body(unknownAnswer)), 'wrong code and unknown phone answer alike');

  t.equal((await verify(app, phone, code)).statusCode, 204, 'right code');
  const row = await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: user.userId } });
  t.match(row, { verified: true, verifiedPhone: phone, codeHash: null, codeExpireTime: null });
  await invalid(phone, code, 'reused code');

  const other = await newUser(app);
  const phone2 = freshPhone();
  await putPhone(app, other.sessionId, other.userId, { phone: phone2 });
  await app.prisma.smsSettings.update({
    where: { userId: other.userId },
    data: { codeExpireTime: new Date(Date.now() - 1000) },
  });
  await invalid(phone2, await lastCode(app, phone2), 'expired code');

  const bad = await verify(app, 'nonsense', '123456');
  t.equal(body(bad).code, 'WRONG_PHONE');
});

t.test('the attempt limit kills the code', async (t) => {
  const { app, config } = await buildTestApp(t, roomy);
  const user = await newUser(app);
  const phone = freshPhone();
  await putPhone(app, user.sessionId, user.userId, { phone });
  const code = await lastCode(app, phone);
  const wrong = code === '111111' ? '222222' : '111111';

  for (let i = 1; i <= config.CODE_MAX_ATTEMPTS; i++) {
    t.equal(body(await verify(app, phone, wrong)).code, 'INVALID_CODE', `failure ${i}`);
  }
  const dead = await verify(app, phone, code);
  t.equal(dead.statusCode, 400, 'the right code after the limit');
  t.equal(body(dead).code, 'INVALID_CODE', 'answered like a wrong code: unknown phones answer so too');
  t.equal((await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: user.userId } })).verified, false);

  t.equal((await resend(app, phone)).statusCode, 204, 'a new code can be requested');
  t.equal((await verify(app, phone, await lastCode(app, phone))).statusCode, 204, 'and works');
});

t.test('concurrent guesses cannot exceed the attempt limit', async (t) => {
  const { app, config } = await buildTestApp(t, roomy);
  const user = await newUser(app);
  const phone = freshPhone();
  await putPhone(app, user.sessionId, user.userId, { phone });
  const code = await lastCode(app, phone);
  const guesses = Array.from({ length: 40 }, (_, i) => String(i).padStart(6, '0')).filter((g) => g !== code);
  const answers = await Promise.all(guesses.map((g) => verify(app, phone, g)));
  const others = answers.map((r) => body(r).code).filter((code) => code !== 'INVALID_CODE');
  t.same(others, [], 'every guess: INVALID_CODE');
  const row = await app.prisma.smsSettings.findUniqueOrThrow({ where: { userId: user.userId } });
  t.equal(row.codeAttempts, config.CODE_MAX_ATTEMPTS, 'exactly CODE_MAX_ATTEMPTS guesses were compared');
});

t.test('two accounts racing to verify one phone: exactly one wins', async (t) => {
  const { app } = await buildTestApp(t, roomy);
  for (let round = 0; round < 5; round++) {
    const a = await newUser(app);
    const b = await newUser(app);
    const phone = freshPhone();
    await putPhone(app, a.sessionId, a.userId, { phone });
    const codeA = await lastCode(app, phone);
    await putPhone(app, b.sessionId, b.userId, { phone });
    const codeB = await lastCode(app, phone);
    if (codeA === codeB) continue; // one code for both: not a race between two codes
    // Each with its session: anonymous verifies are refused while two accounts wait on the phone.
    const [ra, rb] = await Promise.all([
      verifyAs(app, a.sessionId, phone, codeA),
      verifyAs(app, b.sessionId, phone, codeB),
    ]);
    t.same([ra.statusCode, rb.statusCode].sort(), [204, 409], `round ${round}: one 204, one 409`);
    t.equal(body(ra.statusCode === 409 ? ra : rb).code, 'PHONE_IN_USE');
    t.equal(await app.prisma.smsSettings.count({ where: { verifiedPhone: phone } }), 1, 'one verified holder');
  }
});
