// @sms/client as someone in another repository gets it: `npm pack` (whose
// prepack compiles it), the tarball installed with npm into a scratch project
// outside the workspace beside a TypeScript 5 of the kind users have, a short
// program type-checked strictly as a NodeNext ES module, then run against the
// real API: signup → signin → PUT phone → GET. Talks to the npm registry.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestConfig, ROOT, startApi } from '@sms/testing';
import t from 'tap';

const run = promisify(execFile);
// What a user has: not this workspace's TypeScript 6 nor tap's loaders and conditions.
const USER_TYPESCRIPT = 'typescript@5.9.3';
const USER_NODE_TYPES = '@types/node@20.19.43';
const { NODE_OPTIONS: _ignored, ...userEnv } = process.env;

const PROGRAM = `import { createClient, type SmsSettings } from '@sms/client';

const api = createClient({ baseUrl: process.env.BASE_URL! });
const login = process.env.LOGIN!;
const password = 'correct horse battery';
const signup = await api.POST('/api/v1/signup', { body: { login, name: 'Packed', password } });
if (signup.error) throw new Error(signup.error.code);
const signin = await api.POST('/api/v1/signin', { body: { login, password } });
if (!signin.data) throw new Error(signin.error.message);
const path = { user_id: signin.data.user_id };
// @ts-expect-error the phone is a string: the types come from the API's document
await api.PUT('/api/v1/sms_settings/{user_id}', { params: { path }, body: { phone: 48512345678 } });
const put = await api.PUT('/api/v1/sms_settings/{user_id}', { params: { path }, body: { phone: process.env.PHONE! } });
const got = await api.GET('/api/v1/sms_settings/{user_id}', { params: { path } });
const settings: SmsSettings | undefined = got.data;
console.log(JSON.stringify({ put: put.response.status, settings, user: path.user_id, session: api.session === signin.data.id }));
`;

const TSCONFIG = {
  compilerOptions: { strict: true, module: 'nodenext', target: 'es2022', types: ['node'], outDir: 'out' },
  files: ['main.ts'],
};

// npm's registry round trips and three compilers on a busy machine: more than the usual file's time.
t.setTimeout(360_000);

t.test('the packed client installs, type-checks and runs outside the workspace', async (t) => {
  const started = Date.now();
  const took = (what: string) => t.comment(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const scratch = await mkdtemp(join(tmpdir(), 'sms-client-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));

  await run('npm', ['pack', '--silent', '--pack-destination', scratch], {
    cwd: join(ROOT, 'packages/client'),
    env: userEnv,
  });
  took('packed');
  const tarball = (await readdir(scratch)).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  const { stdout: listing } = await run('tar', ['-tzf', join(scratch, tarball)]);
  const files = listing.split('\n').filter(Boolean).sort();
  t.ok(files.includes('package/dist/index.js') && files.includes('package/dist/index.d.ts'), 'compiled code ships');
  t.notOk(
    files.some((file) => file.startsWith('package/src/')),
    'no sources ship',
  );

  await writeFile(join(scratch, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  await writeFile(join(scratch, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  await writeFile(join(scratch, 'main.ts'), PROGRAM);
  const npmFlags = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
  await run('npm', ['install', ...npmFlags, `./${tarball}`, USER_TYPESCRIPT, USER_NODE_TYPES], {
    cwd: scratch,
    env: userEnv,
  });
  took('installed');
  // tsc fails (and so does this) on any type error, an unused @ts-expect-error included.
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { cwd: scratch, env: userEnv }).catch(
    (err: { stdout?: string }) => {
      throw new Error(`tsc: ${err.stdout}`);
    },
  );

  took('type-checked and compiled');
  // Started only now: beside npm and tsc it would start slowly on a busy machine.
  const { url } = await startApi(t, await createTestConfig(t));
  const phone = `+38067${String(process.pid % 10_000_000).padStart(7, '0')}`;
  const { stdout } = await run(process.execPath, ['out/main.js'], {
    cwd: scratch,
    env: { ...userEnv, BASE_URL: url, LOGIN: `packed${process.pid}`, PHONE: phone },
  });
  took('ran against the API');
  const result = JSON.parse(stdout) as { user: string };
  t.match(result.user, /^[0-9a-f]{32}$/, 'signed in');
  t.same(result, {
    put: 200,
    settings: { phone, verified: false, id: result.user, language: null },
    user: result.user,
    session: true,
  });

  // CommonJS: Node ≥ 20.19 (the package's engines) can require() the ES module.
  const cjs = await run(process.execPath, ['-e', "process.stdout.write(typeof require('@sms/client').createClient)"], {
    cwd: scratch,
    env: userEnv,
  });
  t.equal(cjs.stdout, 'function', 'require() works too');
});
