// The one table the benchmark prints, and bench/results.md: the last run's
// figures above the history marker (rewritten on every run), the table of what
// changed when below it (kept as it is; one line per change, added by hand).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface Row {
  name: string;
  rate: number;
  unit: 'req/s' | 'msg/s';
  p50: number | null;
  p99: number | null;
  errors: number;
  /** rate / reference rate, and what the reference is. */
  ratio: number | null;
  ratioTo: string;
  /** Cores each process used during the row (CPU seconds / wall seconds). */
  cpu: Record<string, number>;
}

export interface Target {
  what: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface Report {
  date: string;
  cores: number;
  wallSeconds: number;
  machine: string[];
  settings: string[];
  rows: Row[];
  memory: { name: string; peakMb: number }[];
  /** Lines printed under the tables. */
  details: string[];
  targets: Target[];
  notes: string[];
}

export const HISTORY_MARKER = '<!-- history: everything below this line is kept by pnpm bench -->';

const fmt = (n: number | null, digits = 0) =>
  n === null ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function tableLines(rows: Row[]): string[] {
  const lines = ['| scenario | rate | p50 ms | p99 ms | errors | ratio |', '|---|--:|--:|--:|--:|--:|'];
  for (const r of rows) {
    const ratio = r.ratio === null ? '—' : `${fmt(r.ratio * 100, 1)} % of ${r.ratioTo}`;
    lines.push(
      `| ${r.name} | ${fmt(r.rate)} ${r.unit} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.errors} | ${ratio} |`,
    );
  }
  return lines;
}

const CPU_COLUMNS = ['api', 'baseline', 'anchor', 'worker', 'raw', 'mariadb', 'redis', 'bench', 'other'];

/** The cores the system under test used: everything but the load generator. */
export const serviceCores = (cpu: Record<string, number>) =>
  Object.entries(cpu).reduce((sum, [k, v]) => (k === 'bench' || k === 'other' ? sum : sum + v), 0);

/** Who used the two cores during each row. */
export function cpuTableLines(rows: Row[]): string[] {
  const cols = CPU_COLUMNS.filter((c) => rows.some((r) => (r.cpu[c] ?? 0) >= 0.005));
  const names: Record<string, string> = {
    bench: 'load generator',
    raw: 'bare BullMQ',
    other: 'other processes (not ours)',
  };
  return [
    `| scenario | ${cols.map((c) => names[c] ?? c).join(' | ')} | total (ours) | CPU ms per request (service + DB + Redis) |`,
    `|---|${cols.map(() => '--:').join('|')}|--:|--:|`,
    ...rows.map((r) => {
      const total = cols.reduce((sum, c) => (c === 'other' ? sum : sum + (r.cpu[c] ?? 0)), 0);
      return (
        `| ${r.name} | ${cols.map((c) => (r.cpu[c] ? r.cpu[c].toFixed(2) : '—')).join(' | ')} | ${total.toFixed(2)} | ` +
        `${r.rate > 0 ? ((serviceCores(r.cpu) / r.rate) * 1000).toFixed(2) : '—'} |`
      );
    }),
  ];
}

export function renderMarkdown(report: Report): string {
  return [
    '# Benchmark results',
    '',
    `Written by \`pnpm bench\` on ${report.date} (the whole run took ${fmt(report.wallSeconds)} s).`,
    'How to run it and what each row means: [bench/README.md](README.md).',
    '',
    '## Machine',
    '',
    ...report.machine.map((m) => `- ${m}`),
    '',
    '## Last run',
    '',
    ...tableLines(report.rows),
    '',
    'CPU used during each row, in cores (CPU seconds per second; the machine has ' + report.cores + '):',
    '',
    ...cpuTableLines(report.rows),
    '',
    '**Peak RSS:** ' + report.memory.map((m) => `${m.name} ${fmt(m.peakMb)} MB`).join(', ') + '.',
    '',
    ...report.details.flatMap((d) => [d, '']),
    '## Targets',
    '',
    '| target | goal | measured | met |',
    '|---|---|---|---|',
    ...report.targets.map((t) => `| ${t.what} | ${t.goal} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`),
    '',
    '## Settings of this run',
    '',
    ...report.settings.map((s) => `- ${s}`),
    ...(report.notes.length ? ['', '## Notes', '', ...report.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}

/** Rewrites the generated part of `file`, keeping the history below the marker. */
export function writeResults(file: string, report: Report): void {
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = previous.indexOf(HISTORY_MARKER);
  const history =
    at >= 0 ? previous.slice(at) : `${HISTORY_MARKER}\n\n# What changed when\n\n| change | effect |\n|---|---|\n`;
  writeFileSync(file, `${renderMarkdown(report)}\n${history}`);
}
