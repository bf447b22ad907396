// Work a service answers before finishing: settled() waits for all of it,
// including work started meanwhile, and its failures reach the error hook.
import t from 'tap';
import { BackgroundTasks } from '../src/background';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

t.test('settled waits for every task, those started while waiting too', async (t) => {
  const tasks = new BackgroundTasks();
  const done: string[] = [];
  const first = deferred();
  const second = deferred();
  tasks.run(async () => {
    await first.promise;
    done.push('first');
    tasks.run(async () => {
      await second.promise;
      done.push('second');
    });
  });
  let settled = false;
  const waiting = tasks.settled().then(() => (settled = true));
  first.resolve();
  // Every promise callback queued so far runs before setImmediate's: the first task is over.
  await new Promise((resolve) => setImmediate(resolve));
  t.same(done, ['first']);
  t.equal(settled, false, 'not while the second runs');
  second.resolve();
  await waiting;
  t.same(done, ['first', 'second']);
  await tasks.settled();
  t.pass('settled again at once when nothing runs');
});

t.test('a failing task goes to onError and does not stop the others', async (t) => {
  const errors: string[] = [];
  const tasks = new BackgroundTasks((err) => void errors.push(err.message));
  let ran = false;
  tasks.run(async () => {
    throw new Error('store failed');
  });
  tasks.run(async () => {
    ran = true;
  });
  await tasks.settled();
  t.same(errors, ['store failed']);
  t.equal(ran, true);
  const quiet = new BackgroundTasks();
  quiet.run(async () => {
    throw new Error('nobody listens');
  });
  await quiet.settled();
  t.pass('without a hook a failure is swallowed, not an unhandled rejection');
});
