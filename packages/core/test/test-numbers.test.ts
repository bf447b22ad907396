import t from 'tap';
import { TestNumbers, type TestNumbersConfig } from '../src/test-numbers';

const base: TestNumbersConfig = { NODE_ENV: 'development', CODE_LENGTH: 6 };
const NOW = new Date('2026-12-07T00:00:00Z');
const refusal = (config: Partial<TestNumbersConfig>): string => {
  try {
    TestNumbers.fromConfig({ ...base, ...config }, NOW);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

t.test('test numbers are normalised and give their fixed code', async (t) => {
  const numbers = TestNumbers.fromConfig(
    { ...base, SMS_TEST_NUMBERS: '+1 555 555 0100=123456, +447700900123=654321' },
    NOW,
  );
  t.equal(numbers.codeFor('+15555550100'), '123456');
  t.equal(numbers.codeFor('+447700900123'), '654321');
  t.equal(numbers.codeFor('+380508308443'), undefined);
  t.equal(numbers.match('+1 (555) 555-0100'), '+15555550100', 'written any way');
  t.equal(numbers.match('+380508308443'), null);
  t.same(
    numbers.sendable('+15555550100', { countries: ['UA'], types: ['MOBILE'] }),
    {
      phone: '+15555550100',
      country: 'ZZ',
    },
    'past the country and type filters',
  );
  t.equal(numbers.normalize('+15555550100', ['UA']), '+15555550100');
  t.throws(() => numbers.sendable('+48221234567', { countries: [], types: ['MOBILE'] }), {
    code: 'PHONE_TYPE_NOT_ALLOWED',
  });
});

t.test('SMS_TEST_NUMBERS_UNTIL ends them', async (t) => {
  const numbers = TestNumbers.fromConfig(
    { ...base, SMS_TEST_NUMBERS: '+15555550100=123456', SMS_TEST_NUMBERS_UNTIL: '2026-12-08' },
    NOW,
  );
  t.equal(numbers.codeFor('+15555550100', new Date('2026-12-07T23:59:59Z')), '123456');
  t.equal(numbers.codeFor('+15555550100', new Date('2026-12-08T00:00:00Z')), undefined);
  t.equal(numbers.match('+15555550100', new Date('2026-12-08T00:00:00Z')), null);
});

t.test('a bad test-number configuration stops the start with one line', async (t) => {
  const cases: [string, Partial<TestNumbersConfig>, RegExp][] = [
    ['no code', { SMS_TEST_NUMBERS: '+15555550100' }, /SMS_TEST_NUMBERS entry 1 must be <international phone>=<code>/],
    ['national form', { SMS_TEST_NUMBERS: '5555550100=123456' }, /entry 1 must be/],
    [
      'short code',
      { SMS_TEST_NUMBERS: '+15555550100=123456,+447700900123=12345' },
      /entry 2: its code must be CODE_LENGTH \(6\) digits/,
    ],
    ['same phone twice', { SMS_TEST_NUMBERS: '+15555550100=123456,+1 555 555 0100=654321' }, /entry 2 repeats a phone/],
    [
      'production without an end',
      { NODE_ENV: 'production', SMS_TEST_NUMBERS: '+15555550100=123456' },
      /SMS_TEST_NUMBERS_UNTIL is required with SMS_TEST_NUMBERS when NODE_ENV=production/,
    ],
    [
      'a past end',
      { SMS_TEST_NUMBERS: '+15555550100=123456', SMS_TEST_NUMBERS_UNTIL: '2026-12-06' },
      /SMS_TEST_NUMBERS_UNTIL is in the past/,
    ],
    ['not a date', { SMS_TEST_NUMBERS: '+15555550100=123456', SMS_TEST_NUMBERS_UNTIL: 'soon' }, /not an ISO 8601 date/],
  ];
  for (const [what, config, expected] of cases) {
    const line = refusal(config);
    t.match(line, expected, what);
    t.match(line, /^Invalid configuration: [^\n]+$/, `${what}: one line`);
    t.notMatch(line, /555|7700/, `${what}: no phone in it`);
  }
  t.equal(
    refusal({ NODE_ENV: 'production', SMS_TEST_NUMBERS: '+15555550100=123456', SMS_TEST_NUMBERS_UNTIL: '2027-01-31' }),
    'accepted',
  );
});
