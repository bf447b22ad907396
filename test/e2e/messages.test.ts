// The SMS texts end to end, through the real API and worker processes: the
// language asked for reaches the SMS the worker sends, the autofill lines are
// where their specifications put them, a test number is never texted, and a
// configuration whose texts cannot be sent stops the API with one line
// (messages-refusals.test.ts).
import { createDb } from '@sms/db';
import {
  checkedCall,
  contractChecker,
  createTestConfig,
  newAccount,
  session,
  smsLines,
  startApi,
  startWorker,
  waitFor,
  workerStarted,
  type Proc,
} from '@sms/testing';
import t from 'tap';

const call = checkedCall(await contractChecker());
let counter = 0;

const newUser = (url: string) => newAccount(url, `msg${process.pid}x${++counter}`, call);

const phoneFor = (n: number) => `+38050${String((process.pid * 100 + n) % 10_000_000).padStart(7, '0')}`;

/** The bodies of the SMS the worker wrote to `phone`, once there are `count`. */
async function smsTo(worker: Proc, phone: string, count = 1): Promise<string[]> {
  const bodies = () =>
    smsLines(worker)
      .filter((l) => l.to === phone)
      .map((l) => String(l.body));
  await waitFor(() => bodies().length >= count, 20_000, `${count} SMS to ${phone}`);
  return bodies();
}

const env = {
  SERVICE_NAME: 'Acme',
  SMS_RESEND_COOLDOWN_SECONDS: '0',
  SMS_WEBOTP_DOMAIN: 'acme.example',
  SMS_ANDROID_APP_HASH: 'FA+9qCX9VSu',
  SMS_TEST_NUMBERS: '+15555550100=123456',
  SMS_ALLOWED_COUNTRIES: 'UA',
};

// One API and one worker for both tests: process starts are what these tests spend their time on.
const config = await createTestConfig(t);
const worker = startWorker(t, config);
await workerStarted(worker);
const { proc: api, url } = await startApi(t, config, env);

t.test('languages and autofill lines reach the SMS the worker sends', async (t) => {
  const uk = await newUser(url);
  const ukPhone = phoneFor(1);
  const put = await call(
    url,
    'PUT',
    `/api/v1/sms_settings/${uk.userId}`,
    { phone: ukPhone, language: 'uk' },
    session(uk.sessionId),
  );
  t.equal(put.status, 200);
  const [first] = await smsTo(worker, ukPhone);
  const code = /ваш код (\d{6})/.exec(first ?? '')?.[1] ?? '';
  // SMS Retriever: the 11-character hash anywhere, here on a line of its own;
  // WebOTP: the last line is "@<host> #<code>".
  t.equal(first, `Acme: ваш код ${code}\nFA+9qCX9VSu\n@acme.example #${code}`);

  t.equal((await call(url, 'POST', '/api/v1/sms_settings/resend', { phone: ukPhone })).status, 204);
  const [, second] = await smsTo(worker, ukPhone, 2);
  t.match(
    second,
    /^Acme: ваш код (\d{6})\nFA\+9qCX9VSu\n@acme\.example #\1$/,
    'a resend without a language: Ukrainian',
  );
  const get = await call(url, 'GET', `/api/v1/sms_settings/${uk.userId}`, undefined, session(uk.sessionId));
  t.equal(get.body?.language, 'uk');

  const de = await newUser(url);
  const dePhone = phoneFor(2);
  await call(
    url,
    'PUT',
    `/api/v1/sms_settings/${de.userId}`,
    { phone: dePhone },
    {
      ...session(de.sessionId),
      'accept-language': 'de-DE,de;q=0.9,en;q=0.8',
    },
  );
  t.match(
    (await smsTo(worker, dePhone))[0],
    /^Acme: Ihr Code lautet (\d{6})\. 10 Min\. gültig\.\nFA\+9qCX9VSu\n@acme\.example #\1$/,
  );

  const xx = await newUser(url);
  const xxPhone = phoneFor(3);
  await call(
    url,
    'PUT',
    `/api/v1/sms_settings/${xx.userId}`,
    { phone: xxPhone, language: 'xx' },
    session(xx.sessionId),
  );
  t.match(
    (await smsTo(worker, xxPhone))[0],
    /^Your verification code is (\d{6})\n/,
    'an unknown language: the default',
  );
});

t.test('a test number verifies with its fixed code; no SMS row, no job, no SMS', async (t) => {
  const { userId, sessionId } = await newUser(url);
  const phone = '+15555550100';
  t.equal((await call(url, 'PUT', `/api/v1/sms_settings/${userId}`, { phone }, session(sessionId))).status, 200);
  await api.waitForLine((l) => l.msg === 'test number: fixed code, no SMS sent', 10_000, 'the use logged');
  t.equal((await call(url, 'POST', '/api/v1/sms_settings/verify', { phone, code: '123456' })).status, 204);
  const get = await call(url, 'GET', `/api/v1/sms_settings/${userId}`, undefined, session(sessionId));
  t.equal(get.body?.verified, true);

  const { prisma, close } = createDb(config);
  t.teardown(close);
  t.equal(await prisma.smsMessage.count({ where: { recipient: phone } }), 0, 'no sms_messages row');
  t.same(
    smsLines(worker).filter((l) => l.to === phone),
    [],
    'the worker sent it nothing',
  );
  const metrics = await fetch(`${url}/metrics`).then((r) => r.text());
  t.match(metrics, /^sms_test_number_uses_total\{service="api"\} 1$/m);
  t.notMatch(api.stdout(), /5555550100/, 'the phone is in no log line');
});
