// The Dockerfile's images as users run them, under podman (`pnpm test:containers`,
// through scripts/test-containers.sh, which first makes the STAND-IN base image
// docker.io/library/node:<tag>: no registry is reachable here). Builds the
// three targets, runs the migrator, then the API and the worker with
// docker-compose.yml's environment against this machine's MariaDB (a database
// of the test's own) and Redis (a queue prefix of its own), and runs the
// README's flow through them: the code comes from the worker container's log.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  baseConfig,
  checkedCall,
  contractChecker,
  deleteRedisPrefix,
  dropDatabase,
  freePort,
  redisEnv,
  session,
  uniqueName,
  waitFor,
} from '@sms/testing';
import t, { type Test } from 'tap';
import { composeEnvironment, envArgs, podman, podmanOk, tail } from './lib/podman';

const TARGETS = ['migrate', 'api', 'worker'] as const;
type Target = (typeof TARGETS)[number];
const image = (target: Target) => `localhost/sms-verification-${target}:test`;
/** scripts/test-containers.sh removes whatever carries it, should this process die. */
const LABEL = 'sms-test-containers=1';

const call = checkedCall(await contractChecker());
const base = baseConfig();
const databaseUrl = Object.assign(new URL(base.DATABASE_URL), {
  pathname: `/${uniqueName('sms_containers')}`,
}).toString();
const queuePrefix = uniqueName('containers');
const metricsToken = randomBytes(16).toString('hex');
// What a user would export before `docker compose up`, then this machine's servers.
const env = {
  ...composeEnvironment({
    APP_SECRET: randomBytes(32).toString('hex'),
    SMS_ALLOWED_COUNTRIES: 'UA,PL',
    METRICS_TOKEN: metricsToken,
  }),
  DATABASE_URL: databaseUrl,
  ...redisEnv(base),
  QUEUE_PREFIX: queuePrefix,
};
const logs = mkdtempSync(join(tmpdir(), 'sms-containers-'));
const containers: string[] = [];
const containerName = (target: Target) => `sms-test-${process.pid}-${target}`;

/** Starts `target`'s image in the background on the host's network, as `name`, with compose's restrictions. */
async function start(target: Target, vars: Record<string, string>): Promise<string> {
  const name = containerName(target);
  containers.push(name);
  await podmanOk([
    'run',
    '--detach',
    '--name',
    name,
    '--label',
    LABEL,
    '--network',
    'host',
    // As docker-compose.yml runs api and worker.
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    ...envArgs(vars),
    image(target),
  ]);
  return name;
}
const running = async (name: string) =>
  (await podmanOk(['inspect', '--format', '{{.State.Running}}', name])) === 'true';
/** The container's stdout, as JSON log lines (others dropped). */
async function logLines(name: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await podman(['logs', name]);
  return stdout.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** A step of the run; skipped once an earlier one failed (no images, no containers to talk to). */
const step = (name: string, fn: (t: Test) => Promise<void>) =>
  t.test(name, { skip: t.passing() ? false : 'an earlier step failed' }, fn);

t.teardown(async () => {
  if (!t.passing()) {
    for (const name of containers) {
      const out = await podman(['logs', name]);
      console.error(`--- podman logs ${name}:\n${out.stdout}${out.stderr}`);
    }
  }
  if (containers.length) await podman(['rm', '--force', '--time', '10', ...containers]);
  await dropDatabase(databaseUrl);
  await deleteRedisPrefix(base, queuePrefix);
  rmSync(logs, { recursive: true, force: true });
});

await step('the three targets build with podman', async (t) => {
  const from = await podmanOk([
    'image',
    'inspect',
    '--format',
    '{{index .Labels "org.opencontainers.image.description"}}',
    image('migrate'),
  ]).catch(() => '');
  t.comment(from ? `previous images: ${from}` : 'first build');
  for (const target of TARGETS) {
    const log = join(logs, `build-${target}.log`);
    const started = Date.now();
    // chroot isolation needs no OCI runtime; host networking reaches the npm
    // registry; docker format keeps HEALTHCHECK (OCI has none); --pull=never:
    // the base image is the local stand-in.
    const { code } = await podman(
      ['build', '--isolation', 'chroot', '--network', 'host', '--pull=never', '--format', 'docker'].concat([
        '--target',
        target,
        '--tag',
        image(target),
        '.',
      ]),
      log,
    );
    t.equal(code, 0, `${target} builds (${Math.round((Date.now() - started) / 1000)} s)`, { log: tail(log) });
  }
  const description = await podmanOk([
    'image',
    'inspect',
    '--format',
    '{{index .Labels "org.opencontainers.image.description"}}',
    image('api'),
  ]);
  t.match(description, /STAND-IN/, `built on the stand-in base image: ${description}`);
});

await step('every image runs as a non-root user', async (t) => {
  for (const target of TARGETS) {
    t.equal(
      await podmanOk(['image', 'inspect', '--format', '{{.Config.User}}', image(target)]),
      'node',
      `${target}: USER node`,
    );
    const uid = await podmanOk(['run', '--rm', '--network', 'none', '--entrypoint', 'id', image(target), '-u']);
    t.equal(uid, '1000', `${target}: id -u inside is 1000`);
  }
});

await step('the migrate image applies the migrations and exits 0', async (t) => {
  const run = await podman(['run', '--rm', '--label', LABEL, '--network', 'host', ...envArgs(env), image('migrate')]);
  t.equal(run.code, 0, 'exit 0', { stdout: run.stdout, stderr: run.stderr });
  t.match(run.stdout, /applied migration \S+_init\n/);
  t.match(run.stdout, /database is up to date/);
});

const apiPort = await freePort();
const metricsPort = await freePort();
const url = `http://127.0.0.1:${apiPort}`;

await step('the API and worker images start and become healthy', async (t) => {
  const api = await start('api', { ...env, PORT: String(apiPort) });
  const worker = await start('worker', { ...env, WORKER_METRICS_PORT: String(metricsPort) });
  const ready = async () => {
    if (!(await running(api))) throw new Error('the API container exited');
    return fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
  };
  await waitFor(ready, 60_000, 'the API container to be ready', 500);
  await waitFor(
    async () => {
      if (!(await running(worker))) throw new Error('the worker container exited');
      return (await logLines(worker)).some((l) => l.msg === 'worker started');
    },
    60_000,
    'the worker container to start',
    500,
  );
  // podman runs health checks on systemd timers, which this machine has not:
  // run each image's HEALTHCHECK now, as the timer would, until it passes.
  for (const name of [api, worker]) {
    let last = '';
    const passed = await waitFor(
      async () => {
        const run = await podman(['healthcheck', 'run', name]);
        last = `exit ${run.code}: ${run.stdout}${run.stderr}`.trim();
        return run.code === 0;
      },
      60_000,
      `${name} healthy`,
      1000,
    ).catch(() => false);
    t.ok(passed, `podman healthcheck run ${name} passes`, { last });
    t.equal(await podmanOk(['exec', name, 'id', '-u']), '1000', `${name}: its process runs as uid 1000`);
  }
  const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
    headers: { authorization: `Bearer ${metricsToken}` },
  });
  t.equal(metrics.status, 200, "the worker's /metrics answers with the compose file's METRICS_TOKEN");
  t.match(await metrics.text(), /^# HELP /m);
});

await step("the README's flow through the containers", async (t) => {
  const signup = await call(url, 'POST', '/api/v1/signup', { login: 'bob', name: 'Bob', password: 'correct horse' });
  t.equal(signup.status, 201, 'signup', { body: signup.body });
  const signin = await call(url, 'POST', '/api/v1/signin', { login: 'bob', password: 'correct horse' });
  t.equal(signin.status, 200, 'signin', { body: signin.body });
  const userId = String(signin.body?.user_id);
  const auth = session(String(signin.body?.id));

  const put = await call(url, 'PUT', `/api/v1/sms_settings/${userId}`, { phone: '+48 512 345 678' }, auth);
  t.equal(put.status, 200, 'PUT phone', { body: put.body });
  t.equal(put.body?.phone, '+48512345678');
  const phone = '+48512345678';

  const sms = await waitFor(
    async () => (await logLines(containerName('worker'))).find((l) => l.transport === 'log' && l.to === phone),
    30_000,
    "the SMS in the worker container's log",
    500,
  );
  const code = /(\d{6})/.exec(String(sms.body))?.[1] ?? '';
  t.match(code, /^\d{6}$/, `the code from the worker's log: ${code}`);

  const wrong = await call(url, 'POST', '/api/v1/sms_settings/verify', {
    phone,
    code: code === '000000' ? '111111' : '000000',
  });
  t.equal(wrong.status, 400, 'a wrong code is refused');
  const verify = await call(url, 'POST', '/api/v1/sms_settings/verify', { phone, code });
  t.equal(verify.status, 204, 'verify', { body: verify.body });
  const get = await call(url, 'GET', `/api/v1/sms_settings/${userId}`, undefined, auth);
  t.same(get.body, { phone, verified: true, id: userId, language: null }, 'GET shows the phone verified');
});

await step('both containers stop cleanly on `podman stop` (SIGTERM)', async (t) => {
  for (const target of ['api', 'worker'] as const) {
    const name = containerName(target);
    await podmanOk(['stop', '--time', '30', name]);
    t.equal(await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', name]), '0', `${target} exits 0`);
  }
});
