// Child processes of the benchmark: started with an explicit environment, their
// output in a log file (or parsed, for the helpers that report in JSON lines),
// their peak RSS read from /proc before they stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** JSON lines the process printed (only for `capture`d processes). */
  messages: Record<string, unknown>[];
  /** Highest resident set size seen, in bytes (the kernel's VmHWM, else our samples). */
  peakRss(): number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

const live = new Set<Proc>();

export { freePort } from '@sms/testing';

function readStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface StartOptions {
  env: Record<string, string>;
  logDir: string;
  nodeArgs?: string[];
  /** Parse stdout as JSON lines into `messages` (and still log it). */
  capture?: boolean;
}

export function startNode(name: string, entry: string, options: StartOptions): Proc {
  const logFile = join(options.logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', entry], {
    cwd: ROOT,
    env: options.env,
    stdio: ['ignore', options.capture ? 'pipe' : fd, fd],
  });
  closeSync(fd);
  const messages: Record<string, unknown>[] = [];
  if (options.capture) {
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        try {
          messages.push(JSON.parse(part) as Record<string, unknown>);
        } catch {
          // not one of ours
        }
      }
    });
  }
  let sampled = 0;
  let hwm = 0;
  const sampler = setInterval(() => {
    if (!child.pid) return;
    sampled = Math.max(sampled, readStatusKb(child.pid, 'VmRSS'));
    hwm = Math.max(hwm, readStatusKb(child.pid, 'VmHWM'));
  }, 250);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => clearInterval(sampler));

  const proc: Proc = {
    name,
    child,
    logFile,
    messages,
    exited,
    peakRss: () => {
      if (child.pid && child.exitCode === null && child.signalCode === null) {
        hwm = Math.max(hwm, readStatusKb(child.pid, 'VmHWM'));
      }
      return Math.max(hwm, sampled);
    },
    async stop(graceMs = 15_000) {
      live.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      proc.peakRss();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(proc);
  return proc;
}

/** Every process still running (for the cleanup after a failure). */
export const liveProcs = (): Proc[] => [...live];

/** Polls `check` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs: number, what: string, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Fails early, with the log's tail, when a process died before it was ready. */
export function assertAlive(proc: Proc): void {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
    let tail = '';
    try {
      tail = readFileSync(proc.logFile, 'utf8').slice(-2000);
    } catch {
      // no log
    }
    throw new Error(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}):\n${tail}`);
  }
}
