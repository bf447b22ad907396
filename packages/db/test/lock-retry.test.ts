// A statement InnoDB chose as a deadlock victim (1213) or whose lock wait
// timed out (1205) was rolled back whole: it is run again, a few times at most;
// any other error is the caller's at once.
import t from 'tap';
import { retryOnLockConflict } from '../src/retry';

const lockError = (errno: number) => Object.assign(new Error(`lock ${errno}`), { errno });

t.test('a deadlock victim or a lock wait timeout is run again until it succeeds', async (t) => {
  const failures = [lockError(1213), lockError(1205)];
  let runs = 0;
  const result = await retryOnLockConflict(async () => {
    runs++;
    const failure = failures.shift();
    if (failure) throw failure;
    return 'claimed';
  });
  t.equal(result, 'claimed');
  t.equal(runs, 3);
});

t.test('a lock conflict that keeps coming is given up after eight runs', async (t) => {
  let runs = 0;
  await t.rejects(
    retryOnLockConflict(async () => {
      runs++;
      throw lockError(1213);
    }),
    { message: 'lock 1213' },
  );
  t.equal(runs, 8);
});

t.test('any other error is not retried', async (t) => {
  let runs = 0;
  await t.rejects(
    retryOnLockConflict(async () => {
      runs++;
      throw Object.assign(new Error('duplicate'), { errno: 1062 });
    }),
    { message: 'duplicate' },
  );
  t.equal(runs, 1);
});
