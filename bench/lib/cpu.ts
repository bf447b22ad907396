// CPU time per process during a phase, from /proc/<pid>/stat (utime + stime),
// so each row can say who used the two cores: the API, the worker, MariaDB,
// Redis, or the load generator itself.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** The pid of the first process whose command is one of `names` (the local MariaDB and Redis servers). */
export function findProcess(...names: string[]): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** Busy CPU ticks of the whole machine (every core, everything but idle and I/O wait). */
function machineTicks(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}

export type Watched = Record<string, number | null | undefined>;

/**
 * Starts counting; the returned function gives each process's cores used since
 * (CPU seconds / wall seconds), and under `other` what the rest of the machine
 * used meanwhile: anything well above zero there means the figures were taken
 * on a machine that was busy with something else.
 */
export function cpuMeter(watched: () => Watched): () => Record<string, number> {
  const start = Date.now();
  const machineBefore = machineTicks();
  const before = Object.fromEntries(Object.entries(watched()).map(([k, pid]) => [k, pid ? cpuTicks(pid) : 0]));
  return () => {
    const seconds = (Date.now() - start) / 1000;
    const out: Record<string, number> = {};
    let ours = 0;
    for (const [name, pid] of Object.entries(watched())) {
      if (!pid) continue;
      out[name] = (cpuTicks(pid) - (before[name] ?? 0)) / TICKS_PER_SECOND / seconds;
      ours += out[name];
    }
    out.other = Math.max(0, (machineTicks() - machineBefore) / TICKS_PER_SECOND / seconds - ours);
    return out;
  };
}
