// The one way tests, fault tests and the benchmark start a child Node process:
// an explicit environment (nothing inherited by accident), stdout's JSON log
// lines parsed as they come, and the process killed when the test or the run
// ends, whatever happened in it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Teardown } from './base';
import { outputTail, printLogOnFailure } from './failure-logs';
import { logSink, waitForLine, type LogLine } from './logs';
import { waitFor } from './wait';

/** The repository's root: entries are given relative to it. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  /** Default: the repository's root. */
  cwd?: string;
  /** Node options before the entry (profiling, heap limits). */
  nodeArgs?: string[];
  /** Run the entry through tsx (TypeScript sources); false for compiled JavaScript. */
  tsx?: boolean;
  /**
   * Send the output to this file instead of keeping it in memory: for long
   * runs whose output is read only after a failure.
   */
  logFile?: string;
  /** With `logFile`: still parse stdout into `lines` (helpers that report in JSON lines). */
  capture?: boolean;
  /** Killed (SIGKILL) at this teardown if still running; its output printed if the test failed. */
  teardown?: Teardown;
  /** `stop()` sends SIGKILL this long after its signal; by default it waits as long as it takes. */
  killAfterMs?: number;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  /** stdout's lines, parsed; a line that is not JSON is kept as `msg` at level 0. */
  lines: LogLine[];
  stdout(): string;
  /** stderr, or with `logFile` the file (both streams). */
  stderr(): string;
  /** The end of stdout and stderr together, as written (with `logFile`, the file). */
  output(): string;
  exited: Promise<ExitStatus>;
  /** Highest resident set size seen, in bytes (the kernel's VmHWM, else our samples). */
  peakRss(): number;
  /** Throws, with the end of stderr, if the process has exited. */
  assertRunning(): void;
  waitForLine(match: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<ExitStatus>;
}

const live = new Set<Proc>();

/** Every process started and not stopped (for the cleanup after a failure). */
export const liveProcesses = (): Proc[] => [...live];

function readStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Starts `node [--import tsx] entry` as `name`. */
export function startProcess(name: string, entry: string, options: StartOptions): Proc {
  const { logFile, capture = false, tsx = true } = options;
  const fd = logFile ? openSync(logFile, 'a') : null;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(tsx ? ['--import', 'tsx'] : []), entry], {
    cwd: options.cwd ?? ROOT,
    env: options.env,
    stdio: ['ignore', fd === null || capture ? 'pipe' : fd, fd ?? 'pipe'],
  });
  if (fd !== null) closeSync(fd);
  const stdout = logSink();
  child.stdout?.pipe(stdout.stream);
  const lines = stdout.lines;
  let stderr = '';
  const tail = outputTail();
  child.stdout?.on('data', (chunk: Buffer) => tail.write(chunk.toString('utf8')));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    tail.write(chunk);
  });
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const running = () => child.exitCode === null && child.signalCode === null;

  let sampled = 0;
  let hwm = 0;
  const sampler = setInterval(() => {
    if (!child.pid) return;
    sampled = Math.max(sampled, readStatusKb(child.pid, 'VmRSS'));
    hwm = Math.max(hwm, readStatusKb(child.pid, 'VmHWM'));
  }, 250).unref();
  void exited.then(() => clearInterval(sampler));

  const errorOutput = () => {
    if (!logFile) return stderr;
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const proc: Proc = {
    name,
    child,
    lines,
    stdout: stdout.text,
    stderr: errorOutput,
    output: () => (logFile ? errorOutput() : tail.text()),
    exited,
    peakRss: () => {
      if (child.pid && running()) hwm = Math.max(hwm, readStatusKb(child.pid, 'VmHWM'));
      return Math.max(hwm, sampled);
    },
    assertRunning: () => {
      if (running()) return;
      const status = child.exitCode ?? child.signalCode;
      throw new Error(`${name} exited (${status}):\n${errorOutput().slice(-2000)}`);
    },
    waitForLine: async (match, timeoutMs = 20_000, what = 'log line') => {
      try {
        return await waitForLine(lines, match, timeoutMs, `${name}: ${what}`);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- ${name} stderr:\n${errorOutput().slice(-2000)}`, {
          cause: err,
        });
      }
    },
    stop: async (signal = 'SIGTERM', killAfterMs = options.killAfterMs) => {
      live.delete(proc);
      let timer: NodeJS.Timeout | undefined;
      if (running()) {
        proc.peakRss();
        child.kill(signal);
        if (killAfterMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
      const status = await exited;
      clearTimeout(timer);
      return status;
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  if (options.teardown) printLogOnFailure(options.teardown, name, proc.output);
  options.teardown?.teardown(async () => {
    if (running()) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return proc;
}

/** Waits until `url` answers 2xx, failing early if `proc` (which should serve it) exits. */
export async function waitForHttp(proc: Proc, url: string, timeoutMs: number, what: string): Promise<void> {
  try {
    await waitFor(
      async () => {
        proc.assertRunning();
        return fetch(url).then(
          (r) => r.ok,
          () => false,
        );
      },
      timeoutMs,
      what,
      50,
    );
  } catch (err) {
    const exited = proc.child.exitCode !== null || proc.child.signalCode !== null;
    if (exited) throw err; // assertRunning's message has the output already
    throw new Error(`${(err as Error).message}\n--- ${proc.name} stderr:\n${proc.stderr().slice(-2000)}`, {
      cause: err,
    });
  }
}
