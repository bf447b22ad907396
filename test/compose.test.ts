// The container setup, checked without a Docker engine (none runs on the
// development machines or CI):
// - docker-compose.yml against the Compose Specification's JSON schema, plus
//   the properties the service depends on (Redis noeviction and persistence,
//   a one-shot migrator that api and worker wait for, health checks);
// - the Dockerfile's stages (non-root runtime, compiled JavaScript, no tsx);
// - the build the Dockerfile runs: scripts/build.ts, then the Dockerfile's own
//   production install command in a scratch directory, then the built
//   processes against the real MariaDB and Redis, with nothing but that
//   install beside them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import t from 'tap';
import { parse } from 'yaml';
import { parseDatabaseUrl } from '@sms/config';
import { baseConfig, deleteRedisPrefix, dropDatabase, uniqueName, waitFor } from '@sms/testing';
import { ENTRIES, outputFor } from '../scripts/build';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => readFileSync(join(root, file), 'utf8');

// ---------------------------------------------------------------- compose ----

interface Healthcheck {
  test?: string | string[];
}
interface Service {
  image?: string;
  build?: string | { context?: string; target?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number })[];
  volumes?: (string | { target: string })[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
}

const compose = parse(read('docker-compose.yml')) as ComposeFile;
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const words = (command: Service['command']) =>
  (Array.isArray(command) ? command.join(' ') : (command ?? '')).split(/\s+/).filter(Boolean);
const conditions = (s: Service) => (Array.isArray(s.depends_on) ? {} : (s.depends_on ?? {}));
const env = (s: Service): Record<string, unknown> =>
  Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((e) => [e.split('=')[0], e.split('=').slice(1).join('=')]))
    : (s.environment ?? {});

t.test('docker-compose.yml is valid against the Compose Specification schema', async (t) => {
  // The schema is compose-spec/compose-spec's schema/compose-spec.json, as the
  // dclint package (pinned in devDependencies) ships it.
  const require = createRequire(import.meta.url);
  const schemaFile = join(dirname(require.resolve('dclint/package.json')), 'schemas/compose.schema.json');
  const { $schema, ...schema } = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  t.match($schema, /draft-07/, 'the schema is draft-07, the dialect Ajv uses by default');
  // Its $schema spells the draft-07 URI with https (Ajv registers http), so it is
  // dropped above. The spec's schema uses union types and leaves "type" out
  // beside some object keywords: allowed here, everything else stays strict.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
  const validate = ajv.compile(schema);

  t.ok(validate(compose), 'valid');
  t.same(validate.errors ?? [], [], 'no schema errors');

  // The validator is not vacuous: an unknown key is reported.
  const broken = structuredClone(compose) as ComposeFile & Record<string, unknown>;
  (broken.services.api as Record<string, unknown>).healthckeck = {};
  t.notOk(validate(broken), 'a misspelt key is rejected');
});

t.test('Redis: noeviction and persistence on', async (t) => {
  const redis = service('redis');
  const args = words(redis.command);
  const option = (name: string) => args[args.indexOf(`--${name}`) + 1];
  t.equal(option('maxmemory-policy'), 'noeviction', 'BullMQ needs noeviction');
  t.equal(option('appendonly'), 'yes', 'append-only file on');
  t.ok(
    (redis.volumes ?? []).some((v) => (typeof v === 'string' ? v.split(':')[1] : v.target) === '/data'),
    'its data directory is a volume',
  );
  t.ok(redis.healthcheck?.test, 'health check');
});

t.test('MySQL 8: utf8mb4, UTC, persistent, health-checked', async (t) => {
  const mysql = service('mysql');
  t.match(mysql.image, /^mysql:8(\.|$)/);
  const args = words(mysql.command);
  t.ok(args.includes('--character-set-server=utf8mb4'), 'utf8mb4');
  t.ok(args.includes('--default-time-zone=+00:00'), 'UTC');
  t.ok(
    (mysql.volumes ?? []).some((v) => (typeof v === 'string' ? v.split(':')[1] : v.target) === '/var/lib/mysql'),
    'its data directory is a volume',
  );
  t.ok(mysql.healthcheck?.test, 'health check');
  t.match(
    words(mysql.healthcheck?.test as string[]).join(' '),
    /--protocol=TCP/,
    'checked over TCP (not ready during init)',
  );
});

t.test("the services' DATABASE_URL logs in to MySQL 8 without relying on a warm auth cache", async (t) => {
  for (const name of ['migrate', 'api', 'worker']) {
    const url = String(env(service(name)).DATABASE_URL).replace(/\$\{(\w+):-([^}]*)\}/g, '$2');
    t.match(parseDatabaseUrl(url), { host: 'mysql', database: 'sms_settings', allowPublicKeyRetrieval: true }, name);
  }
});

t.test('migrate is a one-shot that api and worker wait for', async (t) => {
  const migrate = service('migrate');
  t.equal(typeof migrate.build === 'object' && migrate.build.target, 'migrate');
  t.equal(migrate.restart, 'no', 'not restarted after it exits');
  t.notOk(migrate.ports, 'serves nothing');
  t.same(conditions(migrate), { mysql: { condition: 'service_healthy' } });

  for (const name of ['api', 'worker']) {
    const s = service(name);
    t.same(
      conditions(s),
      {
        mysql: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      },
      `${name} starts after a successful migration, with MySQL and Redis healthy`,
    );
    t.ok(s.healthcheck?.test, `${name} has a health check`);
    t.equal(env(s).NODE_ENV, 'production', `${name} runs in production mode`);
    t.match(String(env(s).APP_SECRET), /^\$\{APP_SECRET:\?/, `${name}: APP_SECRET must be given, never defaulted`);
  }
  const published = (s: Service) =>
    (s.ports ?? []).map((p) => (typeof p === 'string' ? Number(p.split(':').at(-1)) : p.target));
  t.ok(published(service('api')).includes(8080), 'api publishes 8080');
  t.ok(published(service('worker')).includes(9100), 'worker publishes its metrics port 9100');
  t.match(
    words(service('api').healthcheck?.test as string[]).join(' '),
    /\/health\/ready/,
    'api is healthy when ready',
  );
});

// ------------------------------------------------------------- Dockerfile ----

interface Stage {
  name: string;
  from: string;
  instructions: { keyword: string; args: string }[];
}

/** The Dockerfile's stages, with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!m) throw new Error(`unparsed FROM: ${line}`);
      stages.push({ name: m[2] ?? String(stages.length), from: m[1] as string, instructions: [] });
    } else if (stages.length) {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const stages = parseDockerfile(read('Dockerfile'));
/** A target and the stages it is built on, base first. */
function chain(target: string): Stage[] {
  const stage = stages.find((s) => s.name === target);
  if (!stage) return [];
  return [...chain(stage.from), stage];
}

t.test('Dockerfile: multi-stage, non-root runtime of compiled JavaScript without tsx', async (t) => {
  t.ok(stages.length >= 3, 'multi-stage');
  const build = stages.find((s) => s.name === 'build');
  t.ok(
    build?.instructions.some((i) => i.keyword === 'RUN' && /\bpnpm build\b/.test(i.args)),
    'the build stage compiles (pnpm build)',
  );
  const entries: Record<string, string> = { api: ENTRIES.api, worker: ENTRIES.worker, migrate: ENTRIES.migrate };

  for (const [target, entry] of Object.entries(entries)) {
    const stagesOf = chain(target);
    t.ok(stagesOf.length, `target ${target} exists`);
    const instructions = stagesOf.flatMap((s) => s.instructions);
    const users = instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    t.ok(users.length && !/^(root|0)(:|$)/.test(users.at(-1) as string), `${target} runs as a non-root user`);
    t.notOk(
      instructions.some((i) => /\btsx\b/.test(i.args)),
      `${target}: no instruction of the runtime stages mentions tsx`,
    );
    t.notOk(
      instructions.some((i) => i.keyword === 'COPY' && !/--from=/.test(i.args)),
      `${target}: runtime stages copy only build results, not the source`,
    );
    const cmd = JSON.parse(instructions.filter((i) => i.keyword === 'CMD').at(-1)?.args ?? '[]') as string[];
    t.same(cmd, ['node', outputFor(entry)], `${target} runs the compiled ${outputFor(entry)} with plain node`);
    const service = Object.values(compose.services).find(
      (s) => typeof s.build === 'object' && s.build.target === target,
    );
    t.ok(service, `docker-compose.yml builds target ${target}`);
  }
  for (const target of ['api', 'worker']) {
    const check = imageHealthcheck(target);
    t.equal(check[0], 'node', `the ${target} image has a HEALTHCHECK run by node (the slim image has no curl)`);
    t.same(service(target).healthcheck?.test, ['CMD', ...check], `compose checks ${target} as its image does`);
  }
});

/** The exec-form command of a target's HEALTHCHECK. */
function imageHealthcheck(target: string): string[] {
  const args = chain(target)
    .flatMap((s) => s.instructions)
    .filter((i) => i.keyword === 'HEALTHCHECK')
    .at(-1)?.args;
  const json = /\bCMD\s+(\[.*\])$/.exec(args ?? '')?.[1];
  return json ? (JSON.parse(json) as string[]) : [];
}

/** Runs a HEALTHCHECK command here (it is plain node) and returns its exit code. */
function runHealthcheck(target: string, vars: Record<string, string>): number | null {
  const [command = 'false', ...args] = imageHealthcheck(target);
  return spawnSync(command, args, { env: containerEnv(vars), timeout: 10_000 }).status;
}

// ------------------------------------------------------ the built output ----

/**
 * The Dockerfile's production install command, as written there but for the
 * store (the local one). It stays --prefer-offline, not --offline: pnpm checks
 * the lockfile against its supply-chain policies with registry metadata that
 * the local cache may not hold, as a fresh image build does.
 */
function productionInstallArgs(): string[] {
  const run = stages
    .find((s) => s.name === 'prod-deps')
    ?.instructions.find((i) => i.keyword === 'RUN' && /pnpm install/.test(i.args));
  const command = /pnpm install .*$/.exec(run?.args ?? '')?.[0];
  if (!command) throw new Error('the Dockerfile has no prod-deps stage with a pnpm install');
  return command
    .split(/\s+/)
    .slice(2)
    .filter((a) => !a.startsWith('--store-dir'));
}

/** Like a container: only PATH and HOME from outside, and none of the test runner's loaders. */
const containerEnv = (vars: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'production',
  NODE_OPTIONS: '--enable-source-maps',
  ...vars,
});

const freePort = async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
};

t.test('the build: compiled processes run on a production-only install', async (t) => {
  const { NODE_OPTIONS: _ignored, ...outerEnv } = process.env;

  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], {
    cwd: root,
    env: outerEnv,
    encoding: 'utf8',
  });
  t.equal(built.status, 0, 'pnpm build succeeds', { stderr: built.stderr });
  for (const entry of Object.values(ENTRIES)) {
    t.ok(existsSync(join(root, outputFor(entry))), `${outputFor(entry)} exists`);
  }
  const migrations = readdirSync(join(root, 'prisma/migrations'), { withFileTypes: true }).filter((e) =>
    e.isDirectory(),
  );
  for (const m of migrations) {
    t.ok(existsSync(join(root, 'dist/prisma/migrations', m.name, 'migration.sql')), `dist has migration ${m.name}`);
  }

  // /app of the image: the workspace manifests, the production install, dist/.
  const app = mkdtempSync(join(tmpdir(), 'sms-image-'));
  t.teardown(() => rmSync(app, { recursive: true, force: true }));
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
  cpSync(join(root, 'dist'), join(app, 'dist'), { recursive: true });

  const children = new Set<ChildProcess>();
  t.teardown(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  function start(entry: string, vars: Record<string, string>) {
    const child = spawn(process.execPath, [outputFor(entry)], { cwd: app, env: containerEnv(vars) });
    children.add(child);
    const output = { stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output.stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output.stderr += d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output, exit };
  }

  const base = baseConfig();
  const databaseUrl = Object.assign(new URL(base.DATABASE_URL), { pathname: `/${uniqueName('sms_build')}` }).toString();
  t.teardown(() => dropDatabase(databaseUrl));
  const queuePrefix = uniqueName('build');
  t.teardown(() => deleteRedisPrefix(base.REDIS_URL, queuePrefix));
  const serviceEnv = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: base.REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    APP_SECRET: 'build-test-secret-build-test-secret-0123',
  };

  await t.test('a bad configuration stops each process with one line naming the variable', async (t) => {
    for (const [name, entry] of Object.entries(ENTRIES)) {
      const run = start(entry, { ...serviceEnv, CODE_LENGTH: '3' });
      t.equal(await run.exit, 1, `${name} exits 1`);
      t.same(
        run.output.stderr.trim().split('\n'),
        ['Invalid configuration: CODE_LENGTH must be >= 4'],
        `${name}: one line`,
      );
      t.equal(run.output.stdout, '', `${name}: nothing else`);
    }
  });

  await t.test('the built migrator applies the copied migrations, then finds nothing to do', async (t) => {
    const first = start(ENTRIES.migrate, serviceEnv);
    t.equal(await first.exit, 0, 'first run succeeds', first.output);
    for (const m of migrations) t.match(first.output.stdout, `applied migration ${m.name}`);
    const second = start(ENTRIES.migrate, serviceEnv);
    t.equal(await second.exit, 0, 'second run succeeds', second.output);
    t.match(second.output.stdout, /database is up to date\n$/);
  });

  await t.test('the built API serves, is ready, and stops cleanly on SIGTERM', async (t) => {
    const api = start(ENTRIES.api, { ...serviceEnv, HOST: '127.0.0.1', PORT: '0' });
    const url = await waitFor(
      () =>
        /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(api.output.stdout)?.[1] ??
        (api.child.exitCode !== null && 'exited'),
      20_000,
      'the API to listen',
    );
    t.not(url, 'exited', 'the API listens', api.output);
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
    t.equal(await api.exit, 0, 'graceful exit');
    t.equal(api.output.stderr, '', 'nothing on stderr');
    t.equal(runHealthcheck('api', { PORT: port }), 1, 'the HEALTHCHECK fails once the API is gone');
  });

  await t.test('the built worker starts, serves metrics, and stops cleanly on SIGTERM', async (t) => {
    const port = await freePort();
    const worker = start(ENTRIES.worker, { ...serviceEnv, WORKER_METRICS_PORT: String(port), SMS_TRANSPORT: 'log' });
    const metrics = await waitFor(
      () =>
        worker.child.exitCode !== null
          ? 'exited'
          : fetch(`http://127.0.0.1:${port}/metrics`).then(
              (r) => (r.ok ? r.text() : null),
              () => null,
            ),
      20_000,
      'worker metrics',
    );
    t.not(metrics, 'exited', 'the worker serves metrics', worker.output);
    t.match(metrics, /^# (HELP|TYPE) /m, 'Prometheus text format');
    t.equal(runHealthcheck('worker', { WORKER_METRICS_PORT: String(port) }), 0, 'the HEALTHCHECK passes');
    worker.child.kill('SIGTERM');
    t.equal(await worker.exit, 0, 'graceful exit');
    t.equal(
      runHealthcheck('worker', { WORKER_METRICS_PORT: String(port) }),
      1,
      'the HEALTHCHECK fails once it is gone',
    );
  });
});
