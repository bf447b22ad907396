// The one table the benchmark prints, and bench/results.md: the last run's
// figures above the history marker (rewritten on every run), the optimisation
// log below it (kept as it is).
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
}

export interface Target {
  what: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface Report {
  date: string;
  wallSeconds: number;
  machine: string[];
  settings: string[];
  rows: Row[];
  memory: { name: string; peakMb: number }[];
  targets: Target[];
  notes: string[];
}

export const HISTORY_MARKER = '<!-- history: everything below this line is kept by pnpm bench -->';

const fmt = (n: number | null, digits = 0) =>
  n === null ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function tableLines(rows: Row[]): string[] {
  const lines = [
    '| scenario | rate | p50 ms | p99 ms | errors | ratio |',
    '|---|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    const ratio = r.ratio === null ? '—' : `${fmt(r.ratio * 100, 1)} % of ${r.ratioTo}`;
    lines.push(
      `| ${r.name} | ${fmt(r.rate)} ${r.unit} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.errors} | ${ratio} |`,
    );
  }
  return lines;
}

export function renderMarkdown(report: Report): string {
  return [
    '# Benchmark results',
    '',
    `Written by \`pnpm bench\` on ${report.date} (the whole run took ${fmt(report.wallSeconds)} s).`,
    'How to run it and what each row means: docs/bench.md.',
    '',
    '## Machine',
    '',
    ...report.machine.map((m) => `- ${m}`),
    '',
    '## Last run',
    '',
    ...tableLines(report.rows),
    '',
    '**Peak RSS:** ' + report.memory.map((m) => `${m.name} ${fmt(m.peakMb)} MB`).join(', ') + '.',
    '',
    '## Targets (issue 6)',
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
  const history = at >= 0 ? previous.slice(at) : `${HISTORY_MARKER}\n\n# Optimisation log\n\n(none yet)\n`;
  writeFileSync(file, `${renderMarkdown(report)}\n${history}`);
}
