// podman as the container test drives it: commands with their output kept (or
// sent to a file, for builds), and the environment docker-compose.yml gives
// the service's containers.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `podman args`; with `logFile`, both streams go there instead (builds print a lot). */
export function podman(args: string[], logFile?: string): Promise<Result> {
  const fd = logFile ? openSync(logFile, 'a') : null;
  const child = spawn('podman', args, { cwd: ROOT, stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'] });
  if (fd !== null) closeSync(fd);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `podman args`, which must succeed; its stdout, trimmed. */
export async function podmanOk(args: string[]): Promise<string> {
  const result = await podman(args);
  if (result.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Substitutes Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}` from `vars`. */
export function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_match, name: string, op?: string, arg = '') => {
    const given = vars[name];
    if (given !== undefined && given !== '') return given;
    if (op === '?') throw new Error(`docker-compose.yml needs ${name}: ${arg}`);
    return op === '-' ? arg : '';
  });
}

/**
 * The environment docker-compose.yml gives migrate, api and worker (its
 * x-app-environment block), with `vars` standing for the shell's variables.
 */
export function composeEnvironment(vars: Record<string, string>): Record<string, string> {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    'x-app-environment': Record<string, string>;
  };
  return Object.fromEntries(
    Object.entries(compose['x-app-environment']).map(([name, value]) => [name, interpolate(String(value), vars)]),
  );
}

/** `-e NAME=value` for each variable. */
export const envArgs = (env: Record<string, string>) => Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);

/** The tail of a log file, for a failure message. */
export function tail(file: string, chars = 4000): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}
