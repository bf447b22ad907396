// The SMS texts through the API: the language asked for (body, Accept-Language,
// kept with the settings), what each message costs (row, admin view,
// metrics), and test numbers that get a fixed code and no SMS.
import { loggerOptions } from '@sms/config';
import { createTestConfig, logSink } from '@sms/testing';
import t from 'tap';
import { buildApp } from '../src/app';
import { body, buildTestApp, makeAdmin, newUser } from './helpers';
import { freshPhone, getSettings, putPhone, roomy, verify } from './sms-helpers';

const limits = { ...roomy, SERVICE_NAME: 'Acme' };

t.test('languages: the body, then Accept-Language, kept for resends; unknown ones fall back', async (t) => {
  const { app } = await buildTestApp(t, limits);
  const newest = (phone: string) =>
    app.prisma.smsMessage.findFirstOrThrow({ where: { recipient: phone }, orderBy: { createTime: 'desc' } });
  const resend = async (payload: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/sms_settings/resend', payload, headers });
    await app.verification.settled();
    return res;
  };

  t.test('uk in the body: the SMS, GET and a resend without a language are Ukrainian', async (t) => {
    const { userId, sessionId } = await newUser(app);
    const phone = freshPhone();
    t.equal((await putPhone(app, sessionId, userId, { phone, language: 'uk' })).statusCode, 200);
    const first = await newest(phone);
    t.match(first, { body: /^Acme: ваш код \d{6}$/, language: 'uk', encoding: 'ucs2', segments: 1 });
    t.equal(body(await getSettings(app, sessionId, userId)).language, 'uk');

    t.equal((await resend({ phone }, { 'accept-language': 'de' })).statusCode, 204);
    const second = await newest(phone);
    t.not(second.id, first.id);
    t.match(second, { body: /^Acme: ваш код \d{6}$/, language: 'uk' }, 'the kept language wins over the header');

    t.equal((await resend({ phone, language: 'pl' })).statusCode, 204);
    t.match(await newest(phone), { body: /^Acme: Twój kod to \d{6}$/, language: 'pl' });
    t.equal(body(await getSettings(app, sessionId, userId)).language, 'pl', 'a resend with one keeps it');
  });

  t.test('Accept-Language: de-DE gives German, q-values honoured', async (t) => {
    const { userId, sessionId } = await newUser(app);
    const phone = freshPhone();
    const res = await app.inject({
      method: 'PUT',
      url: `/api/v1/sms_settings/${userId}`,
      headers: { 'x-session-id': sessionId, 'accept-language': 'xx;q=1, de-DE;q=0.9, fr;q=0.95' },
      payload: { phone },
    });
    t.equal(res.statusCode, 200);
    t.match(await newest(phone), {
      body: /^Acme : votre code est \d{6}\. Valable 10 min\.$/,
      language: 'fr',
      encoding: 'gsm7',
    });
    const other = await newUser(app);
    const phone2 = freshPhone();
    await app.inject({
      method: 'PUT',
      url: `/api/v1/sms_settings/${other.userId}`,
      headers: { 'x-session-id': other.sessionId, 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' },
      payload: { phone: phone2 },
    });
    t.match(await newest(phone2), { body: /^Acme: Ihr Code lautet \d{6}\. 10 Min\. gültig\.$/, language: 'de' });
    t.equal(body(await getSettings(app, other.sessionId, other.userId)).language, 'de-DE', 'kept as asked');
  });

  t.test('an unknown language falls back, never an error; a malformed one is a 400', async (t) => {
    const { userId, sessionId } = await newUser(app);
    const phone = freshPhone();
    t.equal((await putPhone(app, sessionId, userId, { phone, language: 'pt-BR' })).statusCode, 200);
    t.match(await newest(phone), { body: /^Acme: o seu código é \d{6}$/, language: 'pt' });
    const phone2 = freshPhone();
    t.equal((await putPhone(app, sessionId, userId, { phone: phone2, language: 'xx-YY' })).statusCode, 200);
    t.match(await newest(phone2), { body: /^Your verification code is \d{6}$/, language: 'en' });
    const bad = await putPhone(app, sessionId, userId, { phone: freshPhone(), language: 'not a language' });
    t.equal(bad.statusCode, 400);
    t.equal(body(bad).code, 'INVALID_REQUEST');
  });
});

t.test('segments: on the row, in the admin view and in the metrics per country', async (t) => {
  const { app } = await buildTestApp(t, limits);
  const admin = await newUser(app);
  await makeAdmin(app, admin.userId);
  const { userId, sessionId } = await newUser(app);
  await putPhone(app, sessionId, userId, { phone: freshPhone(), language: 'uk' });
  await putPhone(app, sessionId, userId, { phone: freshPhone(), language: 'en' });
  const list = await app.inject({
    method: 'GET',
    url: `/api/v1/sms_messages?user_id=${userId}`,
    headers: { 'x-session-id': admin.sessionId },
  });
  t.match(body(list).data, [
    { language: 'en', encoding: 'GSM-7', segments: 1 },
    { language: 'uk', encoding: 'UCS-2', segments: 1 },
  ]);
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /^sms_segments_total\{country="UA",encoding="UCS-2",service="api"\} 1$/m);
  t.match(metrics, /^sms_segments_total\{country="UA",encoding="GSM-7",service="api"\} 1$/m);
});

t.test('a test number: its fixed code verifies, no SMS row or job, limits apply, each use logged masked', async (t) => {
  const config = await createTestConfig(t, {
    ...limits,
    LOG_LEVEL: 'info',
    SMS_RESEND_COOLDOWN_SECONDS: '60',
    SMS_ALLOWED_COUNTRIES: 'UA',
    SMS_TEST_NUMBERS: '+15555550100=123456,+447700900123=654321',
  });
  const sink = logSink();
  const app = await buildApp(config, { logger: { ...loggerOptions(config, 'api'), stream: sink.stream } });
  t.teardown(() => app.close());
  const { userId, sessionId } = await newUser(app);

  const put = await putPhone(app, sessionId, userId, { phone: '+1 555 555 0100' });
  t.equal(put.statusCode, 200, 'past the country and number-type filters');
  t.equal(body(put).phone, '+15555550100');
  t.equal(await app.prisma.smsMessage.count(), 0, 'no SMS row');
  t.same(
    await app.smsQueue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed'),
    {
      waiting: 0,
      delayed: 0,
      active: 0,
      completed: 0,
      failed: 0,
    },
    'no job',
  );

  const again = await app.inject({
    method: 'POST',
    url: '/api/v1/sms_settings/resend',
    payload: { phone: '+15555550100' },
  });
  t.equal(again.statusCode, 429, 'the per-phone cooldown applies as to any phone');
  t.equal(body(again).code, 'TOO_MANY_REQUESTS');

  t.equal((await verify(app, '+15555550100', '654321')).statusCode, 400, "another test number's code does not");
  t.equal((await verify(app, '+15555550100', '123456')).statusCode, 204, 'the fixed code verifies');
  t.equal(body(await getSettings(app, sessionId, userId)).verified, true);

  const uses = sink.lines.filter((l) => l.msg === 'test number: fixed code, no SMS sent');
  t.same(
    uses.map((l) => [l.level, l.phone]),
    [[40, '+15•••••••00']],
    'logged at warn, the phone masked',
  );
  t.notMatch(sink.text(), /5555550100|15555550100/, 'the phone is in no log line');
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /^sms_test_number_uses_total\{service="api"\} 1$/m);
});
