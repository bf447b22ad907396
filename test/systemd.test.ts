// The example systemd units of docs/deploy.md ("Production without
// Docker"): systemd's own checker accepts them, and each runs with plain node
// the very file `pnpm build` produces for its process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ENTRIES, outputFor } from '../scripts/build';
import { SERVICE_ENV, SERVICE_NODE_OPTIONS, SERVICE_V8_FLAGS } from '../scripts/node-options';
import { root } from './lib/dockerfile';

const UNITS = {
  'sms-api.service': ENTRIES.api,
  'sms-worker.service': ENTRIES.worker,
  'sms-migrate.service': ENTRIES.migrate,
};
const unitPath = (name: string) => join(root, 'deploy/systemd', name);

/** `Key=value` lines of a unit file (the last one wins, as in systemd). */
function settings(name: string): Record<string, string> {
  const entries = readFileSync(unitPath(name), 'utf8')
    .split('\n')
    .map((line) => /^(\w+)=(.*)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1] as string, m[2] as string]);
  return Object.fromEntries(entries);
}

t.test('systemd-analyze verify accepts the units', async (t) => {
  const result = spawnSync('systemd-analyze', ['verify', ...Object.keys(UNITS).map(unitPath)], { encoding: 'utf8' });
  t.equal(result.error, undefined, 'systemd-analyze runs (apt-get install systemd)');
  t.equal(result.status, 0, 'no error', { output: result.stderr + result.stdout });
  t.equal(result.stderr + result.stdout, '', 'no warning either');
});

t.test('each unit runs the compiled entry with plain node, no tsx', async (t) => {
  for (const [name, entry] of Object.entries(UNITS)) {
    const unit = settings(name);
    const flags = name === 'sms-migrate.service' ? [] : SERVICE_V8_FLAGS;
    t.equal(
      unit.ExecStart,
      ['/usr/bin/node', ...flags, outputFor(entry)].join(' '),
      `${name} runs ${outputFor(entry)}`,
    );
    t.notMatch(readFileSync(unitPath(name), 'utf8'), /tsx/, `${name}: no tsx`);
    t.match(unit.Environment, /NODE_ENV=production/, `${name}: production mode`);
    if (flags.length) {
      t.ok(
        unit.Environment!.includes(`"NODE_OPTIONS=${SERVICE_NODE_OPTIONS.join(' ')}"`),
        `${name}: the node options of pnpm start`,
      );
      t.ok(
        unit.Environment!.split(' ').includes(`GLIBC_TUNABLES=${SERVICE_ENV.GLIBC_TUNABLES}`),
        `${name}: the malloc settings of pnpm start`,
      );
    }
  }
  for (const name of ['sms-api.service', 'sms-worker.service']) {
    const unit = settings(name);
    t.equal(unit.KillSignal, 'SIGTERM', `${name}: stopped by SIGTERM, which drains it`);
    t.equal(unit.Requires, 'sms-migrate.service', `${name}: starts only after the migrations`);
    t.match(unit.After, /\bsms-migrate\.service\b/);
  }
  t.equal(settings('sms-api.service').TimeoutStopSec, '15', 'the API: 15 s of stop grace');
  t.equal(settings('sms-worker.service').TimeoutStopSec, '30', 'the worker: 30 s of stop grace');
});
