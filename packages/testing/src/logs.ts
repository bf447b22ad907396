// Log lines as the tests read them: pino's JSON lines, parsed, from a logger in
// the test's own process or from a child process's stdout.
import { Writable } from 'node:stream';
import { waitFor } from './wait';

/** A pino line, parsed. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

export interface LogSink {
  /** Where the logger writes. */
  stream: Writable;
  /** The lines so far, parsed; a line that is not JSON is kept as `msg` at level 0. */
  lines: LogLine[];
  /** Everything written, as written. */
  text(): string;
}

export function logSink(): LogSink {
  const lines: LogLine[] = [];
  let text = '';
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const s = String(chunk);
      text += s;
      const parts = (partial + s).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        if (!part) continue;
        try {
          lines.push(JSON.parse(part) as LogLine);
        } catch {
          lines.push({ level: 0, msg: part });
        }
      }
      done();
    },
  });
  return { stream, lines, text: () => text };
}

/** Waits until a line in `lines` (which fills up as the logger writes) matches; returns it. */
export async function waitForLine(
  lines: readonly LogLine[],
  match: (line: LogLine) => boolean,
  timeoutMs = 10_000,
  what = 'log line',
): Promise<LogLine> {
  return waitFor(() => lines.find(match), timeoutMs, what);
}
