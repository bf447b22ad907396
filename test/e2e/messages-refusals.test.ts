// A configuration whose SMS texts or test numbers cannot be used stops the
// API at start with one line naming what is wrong, as a real process started
// the way `pnpm start` starts it (each line is checked in full in
// packages/core/test/messages.test.ts and test-numbers.test.ts).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_ENTRY, createTestConfig, serviceEnv, startProcess } from '@sms/testing';
import t from 'tap';

t.test('texts that cannot be sent stop the API at start: one line naming what is wrong', async (t) => {
  const config = await createTestConfig(t);
  const texts = (name: string, json: Record<string, string>) => {
    const path = join(tmpdir(), `sms-texts-${process.pid}-${name}.json`);
    writeFileSync(path, JSON.stringify(json));
    return path;
  };
  const production = { NODE_ENV: 'production', SMS_TRANSPORT: 'log', SMS_ALLOWED_COUNTRIES: '*' };
  const cases: [string, Record<string, string>, string][] = [
    [
      'an unknown placeholder',
      { SMS_TEMPLATES_FILE: texts('placeholder', { uk: 'Код {code} для {user}' }) },
      'Invalid configuration: the SMS text for "uk" (SMS_TEMPLATES_FILE) has an unknown placeholder {user}',
    ],
    [
      'no {code}',
      { SMS_TEMPLATES_FILE: texts('code', { de: 'Ihr Code kommt gleich' }) },
      'Invalid configuration: the SMS text for "de" (SMS_TEMPLATES_FILE) has no {code}',
    ],
    [
      'two segments',
      { SMS_TEMPLATE: `${'Please type the code below into the form. '.repeat(4)}{code}` },
      'Invalid configuration: the SMS text for "en" (SMS_TEMPLATE) is 2 SMS segments (GSM-7, 174 characters with the code and autofill lines), more than SMS_MAX_SEGMENTS=1',
    ],
    [
      'over the SMS Retriever limit',
      { SMS_ANDROID_APP_HASH: 'FA+9qCX9VSu', SMS_MAX_SEGMENTS: '2', SMS_TEMPLATE: `${'x'.repeat(150)} {code}` },
      'Invalid configuration: the SMS text for "en" (SMS_TEMPLATE) is 148 bytes (GSM-7) with the code and autofill lines; with SMS_ANDROID_APP_HASH the SMS Retriever API needs at most 140',
    ],
    [
      'test numbers in production without an end',
      { ...production, SMS_TEST_NUMBERS: '+15555550100=123456' },
      'Invalid configuration: SMS_TEST_NUMBERS_UNTIL is required with SMS_TEST_NUMBERS when NODE_ENV=production',
    ],
    [
      'test numbers past their end',
      { SMS_TEST_NUMBERS: '+15555550100=123456', SMS_TEST_NUMBERS_UNTIL: '2020-01-01' },
      'Invalid configuration: SMS_TEST_NUMBERS_UNTIL is in the past: remove the test numbers or move the date',
    ],
  ];
  // Started together: each is a cold start of the API.
  const refused = cases.map(([, vars]) =>
    startProcess('api', API_ENTRY, { teardown: t, env: { ...serviceEnv(config), PORT: '0', ...vars } }),
  );
  for (const [i, [what, , line]] of cases.entries()) {
    const proc = refused[i]!;
    t.same(await proc.exited, { code: 1, signal: null }, `${what}: exit 1`);
    t.equal(proc.stderr().trim(), line, what);
  }
});
