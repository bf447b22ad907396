// The Dockerfile, read as the tests need it (its stages, health checks and
// production install), and the environment a container gives its process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_NODE_OPTIONS } from '../../scripts/node-options';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const read = (file: string) => readFileSync(join(root, file), 'utf8');

export interface Stage {
  name: string;
  from: string;
  instructions: { keyword: string; args: string }[];
}

/** The Dockerfile's stages, with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!m) throw new Error(`unparsed FROM: ${line}`);
      stages.push({ name: m[2] ?? String(stages.length), from: m[1] as string, instructions: [] });
    } else if (stages.length) {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

export const stages = parseDockerfile(read('Dockerfile'));
/** A target and the stages it is built on, base first. */
export function chain(target: string): Stage[] {
  const stage = stages.find((s) => s.name === target);
  if (!stage) return [];
  return [...chain(stage.from), stage];
}

/** The exec-form command of a target's HEALTHCHECK. */
export function imageHealthcheck(target: string): string[] {
  const args = chain(target)
    .flatMap((s) => s.instructions)
    .filter((i) => i.keyword === 'HEALTHCHECK')
    .at(-1)?.args;
  const json = /\bCMD\s+(\[.*\])$/.exec(args ?? '')?.[1];
  return json ? (JSON.parse(json) as string[]) : [];
}

/** Runs a HEALTHCHECK command here (it is plain node) and returns its exit code. */
export function runHealthcheck(target: string, vars: Record<string, string>): number | null {
  const [command = 'false', ...args] = imageHealthcheck(target);
  return spawnSync(command, args, { env: containerEnv(vars), timeout: 10_000 }).status;
}

/**
 * The Dockerfile's production install command, as written there but for the
 * store (the local one). It stays --prefer-offline, not --offline: pnpm checks
 * the lockfile against its supply-chain policies with registry metadata that
 * the local cache may not hold, as a fresh image build does.
 */
export function productionInstallArgs(): string[] {
  const run = stages
    .find((s) => s.name === 'prod-deps')
    ?.instructions.find((i) => i.keyword === 'RUN' && /pnpm install/.test(i.args));
  const command = /pnpm install .*$/.exec(run?.args ?? '')?.[0];
  if (!command) throw new Error('the Dockerfile has no prod-deps stage with a pnpm install');
  return command
    .split(/\s+/)
    .slice(2)
    .filter((a) => !a.startsWith('--store-dir'));
}

/** Like a container: only PATH and HOME from outside, and none of the test runner's loaders. */
export const containerEnv = (vars: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'production',
  SMS_ALLOWED_COUNTRIES: '*',
  // As docker-compose.yml sets it when no MessageBird key is given.
  SMS_TRANSPORT: 'log',
  NODE_OPTIONS: SERVICE_NODE_OPTIONS.join(' '),
  ...vars,
});
