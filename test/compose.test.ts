// The container setup, checked without a Docker engine (none runs on the
// development machines or CI): docker-compose.yml against the Compose
// Specification's JSON schema, plus the properties the service depends on
// (Redis noeviction and persistence, a one-shot migrator that api and worker
// wait for, health checks); the Dockerfile's stages (non-root runtime,
// compiled JavaScript, no tsx).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import t from 'tap';
import { parseDatabaseUrl } from '@sms/config';
import { parse } from 'yaml';
import { ENTRIES, outputFor } from '../scripts/build';
import { SERVICE_ENV, SERVICE_NODE_OPTIONS, SERVICE_V8_FLAGS } from '../scripts/node-options';
import { chain, imageHealthcheck, read, stages } from './lib/dockerfile';

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
    // The long-running processes with the V8 flags of scripts/node-options.ts (Node refuses them in NODE_OPTIONS).
    const flags = target === 'migrate' ? [] : SERVICE_V8_FLAGS;
    t.same(
      cmd,
      ['node', ...flags, outputFor(entry)],
      `${target} runs the compiled ${outputFor(entry)} with plain node`,
    );
    t.ok(
      instructions.some(
        (i) => i.keyword === 'ENV' && i.args.includes(`NODE_OPTIONS="${SERVICE_NODE_OPTIONS.join(' ')}"`),
      ),
      `${target}: the node options of pnpm start`,
    );
    t.ok(
      instructions.some((i) => i.keyword === 'ENV' && i.args === `GLIBC_TUNABLES=${SERVICE_ENV.GLIBC_TUNABLES}`),
      `${target}: the malloc settings of pnpm start`,
    );
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
