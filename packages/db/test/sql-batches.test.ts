// Sql.read and Sql.write against a real MariaDB: what is issued in the same
// turn of the event loop shares one query, and each caller still gets its own
// answer and its own error. The pool is the real one; the test only counts the
// queries handed to it.
import t from 'tap';
import mariadb, { type Pool } from 'mariadb';
import { createTestDatabase } from '@sms/testing';
import { poolConfig } from '../src/connection';
import { createSql, sqlPoolOptions } from '../src/sql';

const pool = mariadb.createPool({
  ...poolConfig(await createTestDatabase(t), 3),
  ...sqlPoolOptions,
  // A lock wait fails after 3 s instead of 50 (the lock-conflict test waits on one).
  initSql: 'SET SESSION innodb_lock_wait_timeout = 3',
});
t.teardown(() => pool.end());

/** What createSql sent, on the pool or on a connection taken from it: one entry per query (one round trip each). */
const sent: string[] = [];
const recorded = (query: (sql: string, values?: unknown) => Promise<unknown>) => (sql: string, values?: unknown) => {
  sent.push(sql);
  return query(sql, values);
};
/** `target` with its query recorded (and its other methods still called on it). */
function recording<T extends object>(target: T, extra: Partial<Record<keyof T, unknown>> = {}): T {
  return new Proxy(target, {
    get(object, key) {
      if (key in extra) return extra[key as keyof T];
      const value = Reflect.get(object, key) as unknown;
      if (key === 'query') return recorded((value as (sql: string) => Promise<unknown>).bind(object));
      return typeof value === 'function' ? (value as () => unknown).bind(object) : value;
    },
  });
}
const counted = recording(pool, { getConnection: async () => recording(await pool.getConnection()) }) as Pool;
const sql = createSql(counted);

const row = (n: number) =>
  sql.read<{ n: number; at: Date }>('SELECT ? AS n, CAST(? AS DATETIME(3)) AS at', [n, new Date(Date.UTC(2026, 0, n))]);

t.beforeEach(() => {
  sent.length = 0;
});

t.test('reads issued together go as one query, each answered with its own rows', async (t) => {
  const rows = await Promise.all([row(1), row(2), row(3)]);
  t.equal(sent.length, 1, 'one query for the three reads');
  t.same(
    rows.map(([r]) => [Number(r!.n), r!.at.toISOString()]),
    [
      [1, '2026-01-01T00:00:00.000Z'],
      [2, '2026-01-02T00:00:00.000Z'],
      [3, '2026-01-03T00:00:00.000Z'],
    ],
  );
});

t.test('a read alone is sent alone, as one statement', async (t) => {
  const [r] = await row(7);
  t.equal(Number(r!.n), 7);
  t.same(sent, ['SELECT ? AS n, CAST(? AS DATETIME(3)) AS at']);
});

t.test('reads from different turns of the event loop are not held for each other', async (t) => {
  const first = await row(1);
  const second = await row(2);
  t.equal(sent.length, 2);
  t.equal(Number(first[0]!.n) + Number(second[0]!.n), 3);
});

t.test('a read that fails fails alone; the others in its batch get their rows', async (t) => {
  const [before, failing, after] = await Promise.allSettled([
    row(1),
    sql.read('SELECT * FROM no_such_table WHERE id = ?', ['x']),
    row(3),
  ]);
  t.same(before.status === 'fulfilled' && Number(before.value[0]!.n), 1);
  t.equal(failing.status, 'rejected');
  t.match(failing.status === 'rejected' && failing.reason, { code: 'ER_NO_SUCH_TABLE' });
  t.same(after.status === 'fulfilled' && Number(after.value[0]!.n), 3);
});

t.test('a batch has at most 64 reads: more go as further queries', async (t) => {
  const rows = await Promise.all(Array.from({ length: 100 }, (_, i) => row(i + 1)));
  t.equal(sent.length, 2);
  t.same(
    rows.map(([r]) => Number(r!.n)),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
});

t.test('write: units issued together commit in one transaction, each answered with its own results', async (t) => {
  await sql.query('CREATE TABLE counters (id INT PRIMARY KEY, n INT NOT NULL)');
  await sql.query('INSERT INTO counters VALUES (1, 0), (2, 0), (3, 0)');
  t.teardown(() => sql.query('DROP TABLE counters'));
  const bump = (id: number) =>
    sql.write<[{ affectedRows: number }, { n: number }[]]>([
      ['UPDATE counters SET n = n + 1 WHERE id = ?', [id]],
      ['SELECT n FROM counters WHERE id = ?', [id]],
    ]);
  sent.length = 0;

  const answers = await Promise.all([bump(1), bump(2), bump(9)]);
  t.equal(sent.length, 1, 'one query for the three units');
  t.match(
    sent[0],
    /^SET @sms_lock_wait = [^;]+;\nSET TRANSACTION ISOLATION LEVEL READ COMMITTED;\nSTART TRANSACTION;[\s\S]*;\nCOMMIT;\nSET innodb_lock_wait_timeout = @sms_lock_wait$/,
  );
  t.same(
    answers.map(([updated, rows]) => [updated.affectedRows, rows.map((r) => r.n)]),
    [
      [1, [1]],
      [1, [1]],
      [0, []],
    ],
  );

  t.test('a unit alone runs as its own statements, no transaction around them', async (t) => {
    sent.length = 0;
    const [updated] = await bump(3);
    t.equal(updated.affectedRows, 1);
    t.equal(sent.length, 1);
    t.notMatch(sent[0], /TRANSACTION/);
  });

  t.test('a unit that fails fails alone; the others are applied once', async (t) => {
    sent.length = 0;
    const outcomes = await Promise.allSettled([
      bump(1),
      sql.write([['UPDATE no_such_table SET n = 1 WHERE id = ?', [1]]]),
      bump(2),
    ]);
    t.same(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    t.match(outcomes[1]!.status === 'rejected' && outcomes[1].reason, { code: 'ER_NO_SUCH_TABLE' });
    t.equal(sent.length, 5, 'the shared query, its ROLLBACK, then each unit alone');
    const rows = await sql.query<{ id: number; n: number }>('SELECT id, n FROM counters ORDER BY id');
    t.same(
      rows.map((r) => [r.id, r.n]),
      [
        [1, 2],
        [2, 2],
        [3, 1],
      ],
      'the shared transaction was rolled back, then each unit ran once',
    );
  });

  t.test('units of different sizes get their own answers, dates as Dates', async (t) => {
    sent.length = 0;
    const at = new Date(Date.UTC(2026, 5, 1, 12, 30, 15, 250));
    const [claimed, left] = await Promise.all([
      sql.write<[{ affectedRows: number }, { n: number; at: Date }[]]>([
        ['UPDATE counters SET n = n + 1 WHERE id = ?', [3]],
        ['SELECT n, CAST(? AS DATETIME(3)) AS at FROM counters WHERE id = ?', [at, 3]],
      ]),
      sql.write<[{ affectedRows: number }]>([['UPDATE counters SET n = n + 10 WHERE id = ?', [2]]]),
    ]);
    t.equal(sent.length, 1);
    t.match(sent[0], /^SET @sms_lock_wait/);
    t.equal(claimed[0].affectedRows, 1);
    t.same(
      claimed[1].map((r) => [r.n, r.at.toISOString()]),
      [[2, at.toISOString()]],
    );
    t.equal(left.length, 1);
    t.equal(left[0].affectedRows, 1);
  });

  t.test('a unit waiting on a lock holds up its batch a second at most, then fails alone', async (t) => {
    const holder = await pool.getConnection();
    await holder.query('START TRANSACTION');
    await holder.query('UPDATE counters SET n = n WHERE id = 1');
    try {
      const before = await sql.query<{ id: number; n: number }>('SELECT id, n FROM counters ORDER BY id');
      sent.length = 0;
      const started = Date.now();
      let freeAfterMs = 0;
      // The free unit first: it has run in the shared transaction when the locked one waits.
      const [free, locked] = await Promise.allSettled([
        bump(2).finally(() => (freeAfterMs = Date.now() - started)),
        bump(1),
      ]);
      t.match(sent[0], /^SET @sms_lock_wait/, 'the two were sent as one batch');
      t.equal(free.status, 'fulfilled');
      t.ok(
        freeAfterMs < 2500,
        `the free unit was answered after ${freeAfterMs} ms, before the session's 3 s lock wait`,
      );
      t.match(locked.status === 'rejected' && locked.reason, { code: 'ER_LOCK_WAIT_TIMEOUT' });
      const after = await sql.query<{ id: number; n: number }>('SELECT id, n FROM counters ORDER BY id');
      t.same(
        after.map((r) => r.n - before.find((b) => b.id === r.id)!.n),
        [0, 1, 0],
        'the free unit applied once (its run in the batch rolled back), the locked one not at all',
      );
    } finally {
      await holder.query('ROLLBACK');
      await holder.release();
    }
  });
});
