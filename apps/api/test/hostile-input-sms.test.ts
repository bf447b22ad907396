// Hostile phones and codes, property-based (fast-check), in well-formed bodies
// of the SMS endpoints: never a 5xx, an error always has the contract's body,
// a rejected request changes no row, and nobody verifies a phone by fuzzing.
import fc from 'fast-check';
import t from 'tap';
import { buildTestApp, newUser } from './helpers';
import { hostileString, SHELL, SQL, WEIRD } from './hostile-input-arbitraries';
import { assertAnswer, holds, snapshot } from './hostile-input-checks';
import { freshPhone, putPhone } from './sms-helpers';

t.test('the SMS endpoints, hostile phones and codes in well-formed bodies', async (t) => {
  // Well-formed JSON with the right keys, so every value reaches the phone
  // parser, the code check and the database (not just the schema).
  const { app: server } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '10000000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '1000000',
  });
  const owner = await newUser(server);
  const phone = freshPhone();
  await putPhone(server, owner.sessionId, owner.userId, { phone });
  const phoneLike = fc.oneof(
    hostileString,
    fc.stringMatching(/^\+[0-9]{1,20}$/),
    fc.tuple(fc.constantFrom(...SQL, ...SHELL, ...WEIRD), fc.constantFrom('', phone)).map(([a, b]) => b + a),
  );
  const codeLike = fc.oneof(hostileString, fc.stringMatching(/^[0-9]{1,16}$/));
  const requests = fc.oneof(
    phoneLike.map((p) => ({ method: 'POST' as const, url: '/api/v1/sms_settings/resend', payload: { phone: p } })),
    fc.tuple(phoneLike, codeLike).map(([p, c]) => ({
      method: 'POST' as const,
      url: '/api/v1/sms_settings/verify',
      payload: { phone: p, code: c },
    })),
    fc.tuple(phoneLike, fc.option(fc.boolean(), { nil: undefined })).map(([p, v]) => ({
      method: 'PUT' as const,
      url: `/api/v1/sms_settings/${owner.userId}`,
      headers: { 'x-session-id': owner.sessionId },
      payload: { phone: p, ...(v === undefined ? {} : { verified: v }) },
    })),
  );
  let wrongPhone = 0;
  await holds(
    t,
    fc.asyncProperty(requests, async (request) => {
      // A wrong code for the owner's pending phone must count an attempt: that is the brute-force guard.
      const isVerify = request.url.endsWith('/verify');
      const before = await snapshot(server, isVerify);
      const res = await server.inject(request);
      const what = `${request.method} ${request.url} ${JSON.stringify(request.payload).slice(0, 120)}`;
      assertAnswer(res, what);
      if (res.statusCode >= 400) {
        if (res.json<{ code: string }>().code === 'WRONG_PHONE') wrongPhone++;
        if ((await snapshot(server, isVerify)) !== before) throw new Error(`${what}: rejected but rows changed`);
      }
    }),
    600,
    'hostile phones and codes',
  );
  t.ok(wrongPhone > 50, `the phone parser saw many of them (${wrongPhone} WRONG_PHONE)`);
  const settings = await server.prisma.smsSettings.findUniqueOrThrow({ where: { userId: owner.userId } });
  t.equal(settings.verified, false, 'nobody verified the phone by fuzzing');
});
