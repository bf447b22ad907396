// Runs the Prisma CLI (generate, studio) on machines that cannot download
// Prisma's engines: both commands need PRISMA_SCHEMA_ENGINE_BINARY to name an
// existing file but never execute it for these commands. `studio` opens the
// service's own DATABASE_URL.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@sms/config';

const root = fileURLToPath(new URL('..', import.meta.url));
const stub = fileURLToPath(new URL('../node_modules/.cache/prisma-engine-stub', import.meta.url));
const args = process.argv.slice(2);

const env: NodeJS.ProcessEnv = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
  if (!existsSync(stub)) {
    mkdirSync(fileURLToPath(new URL('../node_modules/.cache/', import.meta.url)), { recursive: true });
    writeFileSync(stub, '#!/bin/sh\necho "schema engine not available offline: use pnpm migrate" >&2\nexit 1\n', {
      mode: 0o755,
    });
  }
  env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
}
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
if (args[0] === 'studio') env.DATABASE_URL = loadConfig().DATABASE_URL;

const result = spawnSync(fileURLToPath(new URL('../node_modules/.bin/prisma', import.meta.url)), args, {
  cwd: root,
  env,
  stdio: 'inherit',
});
process.exitCode = result.status ?? 1;
