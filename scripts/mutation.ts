// pnpm test:mutation: runs Stryker (arguments passed on), then removes what its
// test processes left behind. Stryker stops a test file at its first failure
// and kills one that times out, so their teardown never runs: every database
// and Redis key they make carries this run's tag (SMS_TEST_RUN, read by
// @sms/testing's uniqueName; random unless given), and all of them are
// dropped at the end.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { deleteRedisPrefix, dropDatabase, baseConfig } from '@sms/testing';
import { parseDatabaseUrl } from '@sms/db';
import mariadb from 'mariadb';

const run = process.env.SMS_TEST_RUN ?? `mut${randomBytes(3).toString('hex')}`;
const stryker = spawnSync('node_modules/.bin/stryker', ['run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, SMS_TEST_RUN: run },
});

const config = baseConfig();
const { DATABASE_URL } = config;
const { database: _database, ...server } = parseDatabaseUrl(DATABASE_URL);
const conn = await mariadb.createConnection(server);
let dropped = 0;
try {
  const rows: { name: string }[] = await conn.query(
    "SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE 'sms\\_%'",
  );
  for (const { name } of rows.filter((r) => r.name.includes(`_${run}_`))) {
    const url = new URL(DATABASE_URL);
    url.pathname = `/${name}`;
    await dropDatabase(url.toString());
    dropped++;
  }
} finally {
  await conn.end();
}
// Queue prefixes are `t_<run>_<pid>_<random>`: one pattern takes them all.
await deleteRedisPrefix(config, `t_${run}_*`);
console.log(`test:mutation: removed ${dropped} leftover test database(s) and the Redis keys of run ${run}`);
process.exit(stryker.status ?? 1);
