// `pnpm start`, in plain JavaScript so that nothing runs through tsx: builds
// dist/ (scripts/build.ts) when a source file is newer than the last build,
// then runs the compiled supervisor, dist/scripts/start.js (scripts/start.ts),
// in this same process. The build itself (tsx, esbuild) is a separate process
// that has ended before anything of the service starts.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// What the build reads: the sources, the migrations, the manifests and lockfile.
const INPUTS = [
  'apps',
  'packages',
  'prisma/migrations',
  'scripts/start.ts',
  'scripts/node-options.ts',
  'scripts/build.ts',
  'pnpm-lock.yaml',
];
const SKIP = new Set(['node_modules', 'test', 'dist']);

/** The newest modification time under `path` (ms), 0 if it does not exist. */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) {
    if (!SKIP.has(entry)) max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

const parent = process.ppid;
const built = newest(join(root, 'dist/BUILD_STAMP'));
// Without dist/node_modules the build is a portable one (`pnpm build`, for a
// production install beside it): it does not run from this checkout.
const linked = existsSync(join(root, 'dist/node_modules'));
if (built === 0 || !linked || INPUTS.some((input) => newest(join(root, input)) > built)) {
  // The build is a separate process that ends before the service starts.
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--link-modules'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  // Stopped while building (pnpm, our parent, dies on SIGTERM): start nothing.
  if (process.ppid !== parent) process.exit(0);
}

// `--build-only`: stop here (tests build once before starting many times).
if (!process.argv.includes('--build-only')) await import(new URL('../dist/scripts/start.js', import.meta.url).href);
