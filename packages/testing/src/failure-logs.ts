// When a test fails, the log of every process it started (the service's own,
// redis-server, mariadbd, `pnpm start`…) is printed with its result: a fault
// test that fails must show why, and the processes are gone by then.
import type { Teardown } from './base';

/** How much of each process's output is printed: its end, where the failure is. */
export const FAILURE_LOG_BYTES = 32 * 1024;

/** Keeps the last `limit` characters written, in the order written (stdout and stderr together). */
export function outputTail(limit = FAILURE_LOG_BYTES): { write(chunk: string): void; text(): string } {
  let text = '';
  return {
    write(chunk) {
      text += chunk;
      // Trimmed now and then, not on every chunk.
      if (text.length > 2 * limit) text = text.slice(-limit);
    },
    text: () => text.slice(-limit),
  };
}

/**
 * At `t`'s teardown, if the test failed, prints the end of `output()`, the log
 * of the process `name`, as TAP comments. Without tap's `passing` (the
 * benchmark's own teardown) nothing is printed.
 */
export function printLogOnFailure(t: Teardown, name: string, output: () => string): void {
  t.teardown(() => {
    if (!t.passing || t.passing()) return;
    const text = output();
    const cut = text.length > FAILURE_LOG_BYTES ? `, its last ${FAILURE_LOG_BYTES / 1024} KB` : '';
    const print = t.comment?.bind(t) ?? console.error;
    print(`--- ${name}: output (stdout and stderr)${cut} ---\n${text.slice(-FAILURE_LOG_BYTES) || '(none)'}`);
  });
}
