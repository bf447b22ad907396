// `pnpm start` (compiled: dist/scripts/start.js, launched by scripts/start.mjs)
// and `pnpm dev` (this file through tsx): apply migrations, then run the API
// and the worker in the foreground. If either exits, the other is stopped too
// and the exit code is passed on.
//
// Signals. The children run in process groups of their own, so a Ctrl-C
// (SIGINT to the terminal's whole group) reaches this process only, and this
// process sends each child exactly one SIGTERM, whatever it received and
// however often: a child signalled twice would skip its graceful drain
// (close-with-grace exits at once on a second signal). SIGTERM or SIGINT to
// this process alone (a process manager, `kill`) does the same, and so does
// the death of its parent (pnpm), so no child outlives it. The exit code is 0
// when both children drained cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SERVICE_ENV, SERVICE_NODE_ARGS } from './node-options';

// Compiled, this file is dist/scripts/start.js beside dist/apps/...; as source
// (`pnpm dev`) it is scripts/start.ts, and the children run from source too.
const compiled = import.meta.url.endsWith('.js');
const root = fileURLToPath(new URL(compiled ? '../../' : '../', import.meta.url));
const MIGRATE = 'packages/db/src/migrate-cli';
const ENTRIES = ['apps/api/src/server', 'apps/worker/src/server'];

function command(entry: string, watch: boolean): string[] {
  if (compiled) return [...SERVICE_NODE_ARGS, `dist/${entry}.js`];
  // Development: TypeScript through tsx, restarted when a source file changes.
  return ['--import', 'tsx', ...(watch ? ['--watch'] : []), `${entry}.ts`];
}

const live = new Set<ChildProcess>();
let stopping = false;

function run(entry: string, watch: boolean): Promise<number> {
  const env = { ...SERVICE_ENV, ...process.env };
  const child = spawn(process.execPath, command(entry, watch), { cwd: root, env, stdio: 'inherit', detached: true });
  live.add(child);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? (signal ? 1 : 0));
    }),
  );
}

function stop() {
  if (stopping) return;
  stopping = true;
  for (const child of live) child.kill('SIGTERM');
}
// Handled (not the default exit), so this process waits for the children's drain.
process.on('SIGINT', stop).on('SIGTERM', stop).on('SIGHUP', stop);
// `pnpm start` is pnpm running this process; pnpm dies on SIGTERM without
// passing it on. An orphaned supervisor (its parent gone) stops the service.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && stop(), 250).unref();

// The migrator first, as its own process (it prints one line when the
// configuration or the database is wrong).
const migrated = await run(MIGRATE, false);
if (migrated !== 0 || stopping) process.exit(migrated);

const codes = await Promise.all(
  ENTRIES.map(async (entry) => {
    const code = await run(entry, true);
    // One has exited: the service is down, so the other stops too.
    stop();
    return code;
  }),
);
process.exitCode = codes.find((c) => c !== 0) ?? 0;
