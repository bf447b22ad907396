import { scryptSync } from 'node:crypto';
import t from 'tap';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../src/passwords';

const PASSWORD = 'correct horse battery';

t.test('the right password verifies, a wrong one does not', async (t) => {
  const stored = await hashPassword(PASSWORD);
  t.equal(await verifyPassword(PASSWORD, stored), true);
  t.equal(await verifyPassword('correct horse batterY', stored), false, 'one letter off');
  t.equal(await verifyPassword('', stored), false, 'empty');
  t.equal(await verifyPassword(`${PASSWORD} `, stored), false, 'a trailing space');
});

t.test('the stored form: scrypt with its parameters and a salt of its own, never the password', async (t) => {
  const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
  t.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
  t.not(a, b, 'the same password hashes differently each time (salted)');
  t.equal(await verifyPassword(PASSWORD, b), true);
  t.notMatch(a, /horse/);
});

t.test('a stored value that is not an scrypt hash verifies nothing', async (t) => {
  for (const stored of ['', 'scrypt$unused', PASSWORD, `bcrypt$16384$8$1$c2FsdA==$aGFzaA==`]) {
    t.equal(await verifyPassword(PASSWORD, stored), false, JSON.stringify(stored));
  }
});

t.test('burnPasswordCheck: an unknown login costs about what a wrong password does', async (t) => {
  const stored = await hashPassword(PASSWORD);
  await burnPasswordCheck('warm-up');
  const timed = async (fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    return performance.now() - started;
  };
  const burn: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < 5; i++) {
    burn.push(await timed(() => burnPasswordCheck('guess')));
    wrong.push(await timed(() => verifyPassword('guess', stored)));
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  t.comment(`median: unknown login ${median(burn).toFixed(1)} ms, wrong password ${median(wrong).toFixed(1)} ms`);
  // Loose: only a check that skips the hashing (a fraction of a millisecond) fails it.
  t.ok(median(burn) > median(wrong) * 0.3, 'the same scrypt work either way');
  t.equal(await burnPasswordCheck(PASSWORD), undefined, 'and it never says anything');
});

t.test('a hash stored with other scrypt parameters still verifies with its own', async (t) => {
  const salt = Buffer.from('0123456789abcdef');
  const key = scryptSync(PASSWORD, salt, 32, { N: 1024, r: 4, p: 2 });
  const stored = ['scrypt', 1024, 4, 2, salt.toString('base64'), key.toString('base64')].join('$');
  t.equal(await verifyPassword(PASSWORD, stored), true);
  t.equal(await verifyPassword('another', stored), false);
});

t.test('a stored value with another scheme, no salt or a cut hash verifies nothing, without throwing', async (t) => {
  const stored = await hashPassword(PASSWORD);
  const [, N, r, p, salt, hash] = stored.split('$');
  t.equal(await verifyPassword(PASSWORD, ['other', N, r, p, salt, hash].join('$')), false, 'another scheme');
  const unsalted = scryptSync(PASSWORD, Buffer.alloc(0), 32, { N: 16384, r: 8, p: 1 }).toString('base64');
  t.equal(await verifyPassword(PASSWORD, ['scrypt', N, r, p, '', unsalted].join('$')), false, 'no salt');
  t.equal(await verifyPassword(PASSWORD, ['scrypt', N, r, p, salt, hash!.slice(0, 20)].join('$')), false, 'cut hash');
  t.equal(await verifyPassword(PASSWORD, ['scrypt', N, r, p, salt, ''].join('$')), false, 'no hash');
});
