// `pnpm start`: apply migrations, then run the API and the worker in the
// foreground. Ctrl-C (or SIGTERM) stops both gracefully; if either exits, the
// other is stopped too and the exit code is passed on.
import { spawn, type ChildProcess } from 'node:child_process';
import { ConfigError, loadConfig } from '@sms/config';
import { migrate, MigrationError } from '@sms/db';

const PROCESSES = [
  { name: 'api', entry: 'apps/api/src/server.ts' },
  { name: 'worker', entry: 'apps/worker/src/server.ts' },
];

try {
  const config = loadConfig();
  await migrate({ databaseUrl: config.DATABASE_URL, log: (m) => console.log(m) });
} catch (err) {
  if (err instanceof ConfigError || err instanceof MigrationError) console.error(err.message);
  else console.error(`Cannot migrate the database at DATABASE_URL: ${(err as Error).message}`);
  process.exit(1);
}

const children: ChildProcess[] = PROCESSES.map(({ entry }) =>
  spawn(process.execPath, ['--import', 'tsx', entry], { stdio: 'inherit' }),
);

let stopping = false;
function stop(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
}
process.on('SIGINT', () => stop('SIGTERM'));
process.on('SIGTERM', () => stop('SIGTERM'));

const codes = await Promise.all(
  children.map(
    (child) =>
      new Promise<number>((resolve) =>
        child.on('exit', (code) => {
          stop('SIGTERM');
          resolve(code ?? 0);
        }),
      ),
  ),
);
process.exitCode = codes.find((c) => c !== 0) ?? 0;
