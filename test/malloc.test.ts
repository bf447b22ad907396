// The malloc settings the processes run with (scripts/node-options.ts,
// SERVICE_ENV) give password hashing's memory back: each scrypt hash takes a
// 16 MiB buffer on one of libuv's threads, and with glibc's defaults every
// thread's arena kept its buffers after the hash (docs/monitoring.md, "Memory").
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { SERVICE_ENV } from '../scripts/node-options';

// 24 hashes with the service's parameters, 4 at a time (libuv's pool), after a
// first one so that start-up is not counted; prints the RSS growth in MiB.
const script = `
const { scrypt } = require('node:crypto');
const { readFileSync } = require('node:fs');
const hash = () => new Promise((ok, fail) =>
  scrypt('password', 'salt', 64, { N: 16384, r: 8, p: 1, maxmem: 64 << 20 }, (e) => (e ? fail(e) : ok())));
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
(async () => {
  await hash();
  const before = rss();
  for (let i = 0; i < 6; i++) await Promise.all([hash(), hash(), hash(), hash()]);
  console.log(Math.round(rss() - before));
})();
`;

const retainedMib = (env: Record<string, string>) => {
  const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return Number(run.stdout.trim());
};

t.test('hashing keeps no buffer once it is done', { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  const retained = retainedMib(SERVICE_ENV);
  // One buffer still mapped would be 16 MiB; glibc's defaults kept 48 or more.
  t.ok(retained < 12, `RSS after the hashes is within 12 MiB of before them (grew ${retained} MiB)`);
});
