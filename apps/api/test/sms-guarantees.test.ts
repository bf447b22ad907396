// Guarantees a user sees that no other test pins down: a send limit counts a
// phone however it is written, and a code verifies once even when it is sent
// many times at once.
import t from 'tap';
import { body, buildTestApp, newUser } from './helpers';
import { freshPhone, lastCode, putPhone, resend, verify } from './sms-helpers';

/** The same number as a person types it: `+38050 123 45 67`. */
const spaced = (phone: string) => `${phone.slice(0, 6)} ${phone.slice(6, 9)} ${phone.slice(9, 11)} ${phone.slice(11)}`;

const cooldown = {
  IP_RATE_LIMIT_PER_MINUTE: '100000',
  SMS_RESEND_COOLDOWN_SECONDS: '60',
  SMS_MAX_PER_PHONE_PER_HOUR: '10',
};

t.test('the send limit counts the phone, not how it was written', async (t) => {
  const { app } = await buildTestApp(t, cooldown);
  const phone = freshPhone();
  t.equal((await resend(app, spaced(phone))).statusCode, 204, 'first request, with spaces');
  const again = await resend(app, phone);
  t.equal(again.statusCode, 429, 'the same phone in E.164 within the cooldown');
  t.equal(body(again).code, 'TOO_MANY_REQUESTS');

  const user = await newUser(app);
  const other = freshPhone();
  t.equal((await putPhone(app, user.sessionId, user.userId, { phone: spaced(other) })).statusCode, 200);
  t.equal((await resend(app, other)).statusCode, 429, 'a resend right after the PUT that sent a code');
  await app.verification.settled();
  t.equal(await app.prisma.smsMessage.count({ where: { recipient: other } }), 1, 'one SMS');
});

t.test('with Redis down the limit, taken from the SMS sent, also counts the phone however written', async (t) => {
  const { app } = await buildTestApp(t, { ...cooldown, REDIS_URL: 'redis://127.0.0.1:1' });
  const user = await newUser(app);
  const phone = freshPhone();
  t.equal((await putPhone(app, user.sessionId, user.userId, { phone })).statusCode, 200);
  t.equal((await resend(app, spaced(phone))).statusCode, 429, 'limited from the queued SMS');
  await app.verification.settled();
  t.equal(await app.prisma.smsMessage.count({ where: { recipient: phone } }), 1, 'one SMS');
});

t.test('one code sent many times at once verifies once', async (t) => {
  const { app } = await buildTestApp(t, { ...cooldown, CODE_MAX_ATTEMPTS: '10' });
  for (let round = 0; round < 3; round++) {
    const user = await newUser(app);
    const phone = freshPhone();
    await putPhone(app, user.sessionId, user.userId, { phone });
    const code = await lastCode(app, phone);
    const answers = await Promise.all(Array.from({ length: 8 }, () => verify(app, phone, code)));
    const statuses = answers.map((r) => r.statusCode).sort();
    t.same(statuses, [204, 400, 400, 400, 400, 400, 400, 400], `round ${round}: one 204, the others INVALID_CODE`);
    t.same(
      answers.filter((r) => r.statusCode !== 204).map((r) => body(r).code),
      Array(7).fill('INVALID_CODE'),
    );
  }
});
