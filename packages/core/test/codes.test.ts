import t from 'tap';
import { generateCode, hashCode, hashesMatch } from '../src/codes';

const SECRET = 'test-secret-test-secret-test-secret-0123';

t.test('a code has exactly the configured number of digits', async (t) => {
  // CODE_LENGTH may be 4 to 10.
  for (let length = 4; length <= 10; length++) {
    const codes = Array.from({ length: 50 }, () => generateCode(length));
    const exact = new RegExp(`^[0-9]{${length}}$`);
    t.same(
      codes.filter((c) => !exact.test(c)),
      [],
      `${length} digits, nothing else`,
    );
  }
});

t.test('codes are unpredictable: every digit about as often, leading zeros kept, few repeats', async (t) => {
  const digits = generateCode(20_000);
  for (let d = 0; d <= 9; d++) {
    const count = digits.split(String(d)).length - 1;
    // 2,000 expected; the bounds are more than 10 standard deviations away.
    t.ok(count > 1500 && count < 2500, `digit ${d}: ${count} of 20,000`);
  }
  const codes = Array.from({ length: 1000 }, () => generateCode(6));
  t.ok(
    codes.some((c) => c.startsWith('0')),
    'a code may start with 0 (and keeps it)',
  );
  t.ok(new Set(codes).size >= 990, 'a thousand 6-digit codes are (nearly) all different');
});

t.test('the stored hash depends on the code and on the secret, and does not show the code', async (t) => {
  const hash = hashCode(SECRET, '123456');
  t.match(hash, /^[0-9a-f]{64}$/, 'HMAC-SHA256, hex');
  t.equal(hashCode(SECRET, '123456'), hash, 'the same code and secret give the same hash');
  t.not(hashCode(SECRET, '123457'), hash, 'another code, another hash');
  t.not(hashCode(`${SECRET}x`, '123456'), hash, 'a different secret gives a different hash');
  t.notMatch(hash, /123456/);
});

t.test('hashesMatch: true only for the same hash', async (t) => {
  const hash = hashCode(SECRET, '123456');
  t.ok(hashesMatch(hash, hashCode(SECRET, '123456')), 'the right code');
  t.notOk(hashesMatch(hash, hashCode(SECRET, '654321')), 'a wrong code');
  t.notOk(hashesMatch(hash, hashCode('another-secret', '123456')), 'the right code under another secret');
  t.notOk(hashesMatch(hash, hash.slice(0, 32)), 'a shorter hash');
  t.notOk(hashesMatch(hash, ''), 'nothing');
  t.notOk(hashesMatch(hash, 'not hex at all'), 'garbage');
});
