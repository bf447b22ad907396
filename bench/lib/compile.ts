// The processes of a run as production runs them: compiled JavaScript, no tsx
// (a TypeScript loader is a thread and an isolate of its own, ~30 MB of RSS,
// and would count against every process's memory). The API is dist/'s own
// bundle (`pnpm start` builds it when a source is newer); bench/'s servers and
// the worker with its fake provider are bundled the same way into dist/bench/,
// beside it, so they find the same linked node_modules (dist/node_modules).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '@sms/testing';
import * as esbuild from 'esbuild';
import { NODE_BUNDLE } from '../../scripts/build';
import { SERVICE_NODE_ARGS } from '../../scripts/node-options';

/** bench/ entries compiled into dist/bench/: the source and where its bundle lands. */
const BENCH_ENTRIES = ['anchor-server', 'baseline-server', 'raw-worker', 'worker-main'] as const;
export type BenchEntry = (typeof BENCH_ENTRIES)[number];

/** Where the API's production bundle is (relative to the repository's root). */
export const API_BUNDLE = 'dist/apps/api/src/server.js';
export const benchBundle = (entry: BenchEntry) => `dist/bench/${entry}.js`;

/** What production runs each process with (scripts/start.ts, the Dockerfile, the systemd units). */
export const PRODUCTION_NODE_ARGS: readonly string[] = SERVICE_NODE_ARGS;

/** Workspace packages (TypeScript source) into the bundle; everything from node_modules stays an import. */
const workspaceOnly: esbuild.Plugin = {
  name: 'workspace-only',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@sms/') ? undefined : { path: args.path, external: true },
    );
  },
};

/** Builds dist/ if it is stale (as `pnpm start` would), then bench/'s entries into dist/bench/. */
export async function compileProcesses(): Promise<void> {
  const built = spawnSync(process.execPath, ['scripts/start.mjs', '--build-only'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`pnpm start --build-only failed (${built.status ?? built.signal})`);
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: BENCH_ENTRIES.map((entry) => join('bench', `${entry}.ts`)),
    outdir: join(ROOT, 'dist/bench'),
    ...NODE_BUNDLE,
    plugins: [workspaceOnly],
  });
  if (result.errors.length) throw new Error('esbuild failed on bench/');
}
