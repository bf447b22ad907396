// Sql.read against a real MariaDB: reads issued in the same turn of the event
// loop share one query, each still gets its own rows and its own error. The
// pool is the real one; the test only counts the queries handed to it.
import t from 'tap';
import mariadb, { type Pool } from 'mariadb';
import { createTestDatabase } from '@sms/testing';
import { poolConfig } from '../src/connection';
import { createSql, sqlPoolOptions } from '../src/sql';

const pool = mariadb.createPool({ ...poolConfig(await createTestDatabase(t), 2), ...sqlPoolOptions });
t.teardown(() => pool.end());

/** What createSql sent to the pool: one entry per query (one round trip each). */
const sent: string[] = [];
const counted = new Proxy(pool, {
  get(target, key, receiver) {
    if (key !== 'query') return Reflect.get(target, key, receiver);
    return (sql: string, values?: unknown[]) => {
      sent.push(sql);
      return target.query(sql, values);
    };
  },
}) as Pool;
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
