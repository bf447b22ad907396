// VerificationService.resend against a real database and Redis: a pending
// phone gets a new code, unknown and verified phones answer the same and get
// nothing; the cooldown, the address limit and the allowed countries.
import t from 'tap';
import { VerificationService } from '../src/verification';
import { createServices, errorOf, newPhone } from './fixture';
import { INVALID_CODE, verificationServices } from './verification-fixture';

const { s, pending, verifiedOf } = await verificationServices(t);

t.test('resend: a pending phone gets a new code, sent after the answer; the old code is void', async (t) => {
  const phone = newPhone();
  const { userId, code: old } = await pending(phone);
  const before = s.enqueued.length;
  await s.verification.resend(phone);
  await s.verification.settled();
  t.equal(s.enqueued.length, before + 1, 'one SMS queued');
  const message = await s.db.prisma.smsMessage.findUniqueOrThrow({ where: { id: s.enqueued.at(-1)! } });
  t.match(message, { userId, recipient: phone, status: 'queued' });
  const code = /\d{6}/.exec(message.body)![0];
  t.not(code, old);
  t.same(await errorOf(s.verification.verify(phone, old)), INVALID_CODE, 'the old code');
  await s.verification.verify(phone, code);
  t.equal((await verifiedOf(userId))?.verified, true);
});

t.test('resend: unknown and verified phones answer the same and get nothing', async (t) => {
  const verified = newPhone();
  const { code } = await pending(verified);
  await s.verification.verify(verified, code);
  const before = s.enqueued.length;
  t.equal(await s.verification.resend(newPhone()), undefined, 'unknown');
  t.equal(await s.verification.resend(verified), undefined, 'verified');
  await s.verification.settled();
  t.equal(s.enqueued.length, before, 'no SMS');
  t.same(s.backgroundErrors, [], 'and nothing tried for them in the background');
});

t.test('resend: one cooldown per phone however it is written', async (t) => {
  const phone = '+48512999002';
  await pending(phone);
  await s.verification.resend('+48 512 999 002');
  const refused = await errorOf(s.verification.resend('+48512999002'));
  t.match(refused, { status: 429, code: 'TOO_MANY_REQUESTS' });
  t.ok(refused.retryAfter! > 0 && refused.retryAfter! <= 60, `within the cooldown: ${refused.retryAfter} s`);
  t.match(await errorOf(s.verification.resend(phone)), { status: 429 }, 'unknown phones are limited alike');
  await s.verification.settled();
});

t.test('resend: the address is limited too (SMS_MAX_PER_IP_PER_HOUR), before any phone', async (t) => {
  const ip = '203.0.113.7';
  for (let i = 0; i < 10; i++) await s.verification.resend(newPhone(), { ip });
  t.match(await errorOf(s.verification.resend(newPhone(), { ip })), { status: 429, code: 'TOO_MANY_REQUESTS' });
  await s.verification.resend(newPhone(), { ip: '203.0.113.8' });
  await s.verification.settled();
});

t.test('resend: countries and number types outside the allowed ones are refused', async (t) => {
  const local = await createServices(t, { SMS_ALLOWED_COUNTRIES: 'UA' });
  t.same(await errorOf(local.verification.resend('+48512999003')), { status: 400, code: 'COUNTRY_NOT_ALLOWED' });
  t.same(await errorOf(local.verification.verify('+48512999003', '123456')), {
    status: 400,
    code: 'COUNTRY_NOT_ALLOWED',
  });
  t.same(await errorOf(s.verification.resend('+48221234567')), { status: 400, code: 'PHONE_TYPE_NOT_ALLOWED' });
});

t.test('resend: a send failing after the answer is reported, not lost', async (t) => {
  const phone = newPhone();
  const { userId } = await pending(phone);
  const reported: string[] = [];
  const verification = new VerificationService({
    smsSettings: s.repositories.smsSettings,
    config: s.config,
    codes: {
      checkLimit: async () => {},
      checkRequester: async () => {},
      send: async (id) => {
        throw new Error(`store failed for ${id}`);
      },
    },
    failures: { reserve: async () => 0, refund: async () => {} },
    messages: s.messages,
    testNumbers: s.testNumbers,
    onBackgroundError: (err) => void reported.push(err.message),
  });
  await verification.resend(phone);
  await verification.settled();
  t.same(reported, [`store failed for ${userId}`]);
});
