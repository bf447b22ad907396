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
