// Parallel right-code verifies for one phone: InnoDB deadlocks between the
// attempt counter and the verifying update must be retried or mapped, never
// answered 5xx, and the driver errors' SQL parameters (the phone) never logged.
import { loggerOptions } from '@sms/config';
import { createTestConfig, freePort, logSink } from '@sms/testing';
import t from 'tap';
import { buildApp } from '../src/app';
import { body, newUser } from './helpers';
import { freshPhone, lastCode, putPhone, verify } from './sms-helpers';

const ROUNDS = 20;
const PARALLEL = 40;

t.test('20 rounds of 40 parallel right-code verifies: one 204 per round, no 5xx, no phone in the logs', async (t) => {
  const config = await createTestConfig(t, {
    LOG_LEVEL: 'trace',
    IP_RATE_LIMIT_PER_MINUTE: '1000000',
    CODE_MAX_ATTEMPTS: '100',
    // Each round's 39 losing verifies count as failures for the phone, and
    // each round sends a code: the budgets are raised so that the rounds
    // measure the lock conflicts, not the abuse limits.
    CODE_MAX_FAILED_PER_PHONE_PER_DAY: '100000',
    SMS_MAX_PER_ACCOUNT_PER_HOUR: '1000',
    SMS_MAX_PER_IP_PER_HOUR: '1000',
    SMS_MAX_PER_PHONE_PER_HOUR: '1000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    DATABASE_POOL_SIZE: '20',
  });
  const { stream, text } = logSink();
  const app = await buildApp(config, { logger: { ...loggerOptions(config, 'api'), stream } });
  t.teardown(() => app.close());

  const secrets: string[] = [];
  const statuses = new Map<number, number>();
  for (let round = 0; round < ROUNDS; round++) {
    const user = await newUser(app);
    const phone = freshPhone();
    const put = await putPhone(app, user.sessionId, user.userId, { phone });
    t.equal(put.statusCode, 200, `round ${round}: phone set`);
    const code = await lastCode(app, phone);
    secrets.push(phone.slice(1), code);
    const answers = await Promise.all(Array.from({ length: PARALLEL }, () => verify(app, phone, code)));
    for (const a of answers) statuses.set(a.statusCode, (statuses.get(a.statusCode) ?? 0) + 1);
    const ok = answers.filter((a) => a.statusCode === 204).length;
    const failed = answers.filter((a) => a.statusCode >= 500).map((a) => body(a).code);
    if (ok !== 1 || failed.length > 0) t.fail(`round ${round}: ${ok} × 204, 5xx: ${failed.join(', ')}`);
    for (const a of answers.filter((a) => a.statusCode !== 204)) {
      if (a.statusCode !== 400 || body(a).code !== 'INVALID_CODE') t.fail(`round ${round}: ${a.statusCode} ${a.body}`);
    }
  }
  t.same([...statuses.keys()].sort(), [204, 400], `answers: ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.equal(statuses.get(204), ROUNDS, 'exactly one 204 per round');

  const logs = text();
  t.ok(logs.length > 0);
  // As a token: a code's digits may well occur inside a response time (12.700001).
  const holds = (secret: string) => new RegExp(`(?<![\\d.])${secret}(?![\\d.])`).test(logs);
  for (const secret of secrets) {
    if (holds(secret)) t.fail(`a log line holds ${secret}`);
  }
});

t.test('database down: verify and resend answer 503, and no log line holds the phone or SQL parameters', async (t) => {
  const port = await freePort(); // nothing listens there: every query fails
  const config = await createTestConfig(t, { LOG_LEVEL: 'trace', IP_RATE_LIMIT_PER_MINUTE: '1000000' });
  const down = { ...config, DATABASE_URL: `mysql://root@127.0.0.1:${port}/sms` };
  const { stream, text } = logSink();
  const app = await buildApp(down, { logger: { ...loggerOptions(down, 'api'), stream } });
  t.teardown(() => app.close());
  const phone = freshPhone();
  const verified = await verify(app, phone, '123456');
  t.equal(verified.statusCode, 503);
  const resent = await app.inject({ method: 'POST', url: '/api/v1/sms_settings/resend', payload: { phone } });
  t.equal(resent.statusCode, 503);
  // What a driver error with its parameters looks like, logged as the error handler logs one.
  const driverError = Object.assign(new Error(`Deadlock found\nsql: UPDATE sms_settings - parameters:['${phone}',6]`), {
    sql: `UPDATE sms_settings WHERE phone = ? - parameters:['${phone}',6]`,
  });
  app.log.error({ err: driverError, cause: { message: `for ${phone}` } }, 'request failed');
  const logs = text();
  t.match(logs, /request failed/);
  t.notOk(logs.includes(phone.slice(1)), 'no phone in the logs');
  t.notOk(logs.includes('123456'), 'no code in the logs');
  t.match(logs, /parameters:\[redacted\]/);
});
