// The build the Dockerfile runs, without a Docker engine: scripts/build.ts,
// then the Dockerfile's own production install command in a scratch
// directory, then the built processes against the real MariaDB and Redis,
// with nothing but that install beside them.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  baseConfig,
  deleteRedisPrefix,
  dropDatabase,
  freePort,
  redisEnv,
  startProcess,
  uniqueName,
  waitFor,
  type Proc,
} from '@sms/testing';
import t from 'tap';
import { ENTRIES, outputFor } from '../scripts/build';
import { containerEnv, productionInstallArgs, root, runHealthcheck } from './lib/dockerfile';

t.test('the build: compiled processes run on a production-only install', async (t) => {
  const { NODE_OPTIONS: _ignored, ...outerEnv } = process.env;

  // /app of the image: the workspace manifests, the production install, dist/.
  // Built there, not in this checkout's dist/, which `pnpm start` (and its
  // test) may be running from meanwhile.
  const app = mkdtempSync(join(tmpdir(), 'sms-image-'));
  t.teardown(() => rmSync(app, { recursive: true, force: true }));
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', `--out-dir=${join(app, 'dist')}`], {
    cwd: root,
    env: outerEnv,
    encoding: 'utf8',
  });
  t.equal(built.status, 0, 'pnpm build succeeds', { stderr: built.stderr });
  for (const entry of Object.values(ENTRIES)) {
    t.ok(existsSync(join(app, outputFor(entry))), `${outputFor(entry)} exists`);
  }
  t.notOk(existsSync(join(app, 'dist/node_modules')), 'no links into this checkout: the production install is used');
  const migrations = readdirSync(join(root, 'prisma/migrations'), { withFileTypes: true }).filter((e) =>
    e.isDirectory(),
  );
  for (const m of migrations) {
    t.ok(existsSync(join(app, 'dist/prisma/migrations', m.name, 'migration.sql')), `dist has migration ${m.name}`);
  }

  const manifests = [
    'package.json',
    'pnpm-lock.yaml',
    'pnpm-workspace.yaml',
    '.npmrc',
    ...['apps', 'packages'].flatMap((dir) =>
      readdirSync(join(root, dir))
        .map((name) => `${dir}/${name}/package.json`)
        .filter((file) => existsSync(join(root, file))),
    ),
  ];
  for (const file of manifests) {
    mkdirSync(dirname(join(app, file)), { recursive: true });
    cpSync(join(root, file), join(app, file));
  }
  const installed = spawnSync('pnpm', ['install', ...productionInstallArgs()], {
    cwd: app,
    env: outerEnv,
    encoding: 'utf8',
  });
  t.equal(installed.status, 0, "the Dockerfile's production install succeeds", {
    output: installed.stderr + installed.stdout,
  });
  for (const devOnly of ['tsx', 'typescript', 'prisma', 'esbuild', 'tap']) {
    t.notOk(existsSync(join(app, 'node_modules', devOnly)), `no ${devOnly} in the production install`);
  }
  // The runtime stage copies only /app/node_modules and dist/: nothing else may be needed.
  rmSync(join(app, 'apps'), { recursive: true, force: true });
  rmSync(join(app, 'packages'), { recursive: true, force: true });

  // The compiled JavaScript, as the container runs it: no tsx.
  const start = (entry: string, vars: Record<string, string>) =>
    startProcess(entry, outputFor(entry), { cwd: app, env: containerEnv(vars), tsx: false, teardown: t });
  const output = (proc: Proc) => ({ stdout: proc.stdout(), stderr: proc.stderr() });

  const base = baseConfig();
  const databaseUrl = Object.assign(new URL(base.DATABASE_URL), { pathname: `/${uniqueName('sms_build')}` }).toString();
  t.teardown(() => dropDatabase(databaseUrl));
  const queuePrefix = uniqueName('build');
  t.teardown(() => deleteRedisPrefix(base, queuePrefix));
  const serviceEnv = {
    DATABASE_URL: databaseUrl,
    ...redisEnv(base),
    QUEUE_PREFIX: queuePrefix,
    APP_SECRET: 'build-test-secret-build-test-secret-0123',
  };

  await t.test('a bad configuration stops each process with one line naming the variable', async (t) => {
    for (const [name, entry] of Object.entries(ENTRIES)) {
      const run = start(entry, { ...serviceEnv, CODE_LENGTH: '3' });
      t.equal((await run.exited).code, 1, `${name} exits 1`);
      t.same(run.stderr().trim().split('\n'), ['Invalid configuration: CODE_LENGTH must be >= 4'], `${name}: one line`);
      t.equal(run.stdout(), '', `${name}: nothing else`);
    }
  });

  await t.test('the built migrator applies the copied migrations, then finds nothing to do', async (t) => {
    const first = start(ENTRIES.migrate, serviceEnv);
    t.equal((await first.exited).code, 0, 'first run succeeds', output(first));
    for (const m of migrations) t.match(first.stdout(), `applied migration ${m.name}`);
    const second = start(ENTRIES.migrate, serviceEnv);
    t.equal((await second.exited).code, 0, 'second run succeeds', output(second));
    t.match(second.stdout(), /database is up to date\n$/);
  });

  await t.test('the built API serves, is ready, and stops cleanly on SIGTERM', async (t) => {
    const api = start(ENTRIES.api, { ...serviceEnv, HOST: '127.0.0.1', PORT: '0' });
    const url = await waitFor(
      () =>
        /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(api.stdout())?.[1] ??
        (api.child.exitCode !== null && 'exited'),
      20_000,
      'the API to listen',
    );
    t.not(url, 'exited', 'the API listens', output(api));
    const ready = await waitFor(
      () =>
        fetch(`${url}/health/ready`).then(
          (r) => (r.ok ? r.json() : null),
          () => null,
        ),
      10_000,
      'readiness',
    );
    t.same(ready, { status: 'ok', mysql: true, redis: true });
    const port = new URL(url as string).port;
    t.equal(runHealthcheck('api', { PORT: port }), 0, 'the HEALTHCHECK passes');
    // Swagger UI's files come from inside its package: the hoisted install must hold them.
    const docs = await fetch(`${url}/docs`);
    t.equal(docs.status, 200, 'OpenAPI UI served');
    t.match(await docs.text(), /swagger/i);
    const docsJson = await fetch(`${url}/docs/json`);
    t.equal(docsJson.status, 200, 'OpenAPI document served');
    await docsJson.body?.cancel();
    api.child.kill('SIGTERM');
    t.equal((await api.exited).code, 0, 'graceful exit');
    t.equal(api.stderr(), '', 'nothing on stderr');
    t.equal(runHealthcheck('api', { PORT: port }), 1, 'the HEALTHCHECK fails once the API is gone');
  });

  await t.test('the built worker starts, serves metrics, and stops cleanly on SIGTERM', async (t) => {
    const port = await freePort();
    // Production serves /metrics on a public address only with a token.
    const token = 'build-test-metrics-token';
    const worker = start(ENTRIES.worker, {
      ...serviceEnv,
      WORKER_METRICS_PORT: String(port),
      SMS_TRANSPORT: 'log',
      METRICS_TOKEN: token,
    });
    const metrics = await waitFor(
      () =>
        worker.child.exitCode !== null
          ? 'exited'
          : fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then(
              (r) => (r.ok ? r.text() : null),
              () => null,
            ),
      20_000,
      'worker metrics',
    );
    t.not(metrics, 'exited', 'the worker serves metrics', output(worker));
    t.match(metrics, /^# (HELP|TYPE) /m, 'Prometheus text format');
    t.equal(runHealthcheck('worker', { WORKER_METRICS_PORT: String(port) }), 0, 'the HEALTHCHECK passes');
    worker.child.kill('SIGTERM');
    t.equal((await worker.exited).code, 0, 'graceful exit');
    t.equal(
      runHealthcheck('worker', { WORKER_METRICS_PORT: String(port) }),
      1,
      'the HEALTHCHECK fails once it is gone',
    );
  });
});
