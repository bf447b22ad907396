// A database that cannot be reached at start: the migrator, the API and the
// worker each stop with one line that names DATABASE_URL and the driver's
// reason (not a bare `connect ECONNREFUSED`).
import { API_ENTRY, freePort, startProcess, WORKER_ENTRY } from '@sms/testing';
import t from 'tap';

const MIGRATE_ENTRY = 'packages/db/src/migrate-cli.ts';

t.test('an unreachable DATABASE_URL is named at start', async (t) => {
  // A port nothing listens on: the connection is refused at once.
  const port = await freePort();
  const env = { NODE_ENV: 'test', LOG_LEVEL: 'info', DATABASE_URL: `mysql://root@127.0.0.1:${port}/sms_settings` };
  const expected = new RegExp(
    `^Cannot reach the database at DATABASE_URL: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`,
  );
  for (const [name, entry] of [
    ['migrate', MIGRATE_ENTRY],
    ['api', API_ENTRY],
    ['worker', WORKER_ENTRY],
  ] as const) {
    const proc = startProcess(name, entry, { teardown: t, env });
    t.same(await proc.exited, { code: 1, signal: null }, `${name} exits 1`);
    t.match(proc.stderr().trim(), expected, `${name}: one line naming DATABASE_URL`);
  }
});
