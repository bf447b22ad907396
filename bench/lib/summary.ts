// From the measured figures to the report: the rows with their ratios (each
// API row against its raw-driver anchor), the targets met or missed, the
// printed tables and bench/results.md.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT } from '@sms/testing';
import { ANCHORS, type Anchor } from './anchors';
import { SERVICE_ENV } from '../../scripts/node-options';
import { PRODUCTION_NODE_ARGS } from './compile';
import type { Drained, Measured, Split } from './measure';
import {
  CONCURRENCY,
  CONNECTIONS,
  DURATION,
  env,
  LATENCY_MS,
  LOG_LEVEL,
  MESSAGES,
  PACED_RATE,
  partial,
  profile,
  quick,
  runId,
  WARMUP,
} from './options';
import { cpuTableLines, tableLines, writeResults, type Report, type Row } from './report';
import { GROUPS, SESSIONS_PER_USER } from './seed';
import { targetsOf } from './targets';
import type { DrainResult } from './worker';

export interface Results {
  begin: number;
  machine: string[];
  accounts: number;
  base?: Measured;
  anchors: Partial<Record<Anchor, Measured>>;
  get?: Measured;
  put?: Measured;
  verify?: Measured;
  paced?: Measured & { sent: { p50: number; p99: number; n: number } };
  pacedSplit: Split[];
  rawInstant?: Drained;
  instant?: Drained;
  rawSlow?: Drained;
  slow?: Drained;
  /** The instant-provider backlog through the worker on a Redis Cluster. */
  cluster?: Drained;
  memory: { name: string; peakMb: number }[];
}

const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)} %`;

function rowsOf(r: Results): Row[] {
  const apiRow = (name: string, m: Measured, ref = r.base, refName = 'baseline'): Row => ({
    name,
    rate: m.rps,
    unit: 'req/s',
    p50: m.p50,
    p99: m.p99,
    errors: m.errors,
    ratio: ref ? m.rps / ref.rps : null,
    ratioTo: refName,
    cpu: m.cpu,
  });
  const workerRow = (name: string, d: Drained, ref: DrainResult | undefined, refName: string, bare = false): Row => ({
    name,
    rate: d.perSecond,
    unit: 'msg/s',
    p50: bare ? null : d.p50,
    p99: bare ? null : d.p99,
    errors: d.failed,
    ratio: ref ? d.perSecond / ref.perSecond : null,
    ratioTo: refName,
    cpu: d.cpu,
  });
  const { anchors } = r;
  const rows: Row[] = [];
  if (r.base) rows.push(apiRow('baseline: bare Fastify, same JSON, no I/O', r.base));
  for (const a of ['get-join', 'get-two'] as const)
    if (anchors[a]) rows.push(apiRow(`anchor: ${ANCHORS[a]}`, anchors[a]));
  if (r.get) {
    const [join, two] = [anchors['get-join'], anchors['get-two']];
    const also = join && two ? ` (${pct(r.get.rps, two.rps)} of the two-query one)` : '';
    rows.push(apiRow('GET /sms_settings/:user_id (session + settings)', r.get, join, `the one-query anchor${also}`));
  }
  if (anchors.put) rows.push(apiRow(`anchor: ${ANCHORS.put}`, anchors.put));
  if (r.put)
    rows.push(apiRow('PUT /sms_settings/:user_id (new phone, SMS queued)', r.put, anchors.put, 'the PUT anchor'));
  if (r.verify) rows.push(apiRow('POST /sms_settings/verify (wrong code)', r.verify));
  if (r.paced) {
    rows.push({
      ...apiRow(`PUT at a fixed ${PACED_RATE}/s; p50/p99 = SMS queued → sent`, r.paced, undefined),
      p50: r.paced.sent.p50,
      p99: r.paced.sent.p99,
    });
  }
  const ceiling = CONCURRENCY / (LATENCY_MS / 1000);
  if (r.rawInstant && r.instant && r.slow && r.rawSlow) {
    rows.push(
      workerRow(`bare BullMQ worker, no-op, concurrency ${CONCURRENCY}`, r.rawInstant, undefined, '', true),
      workerRow(`worker, instant provider, ${MESSAGES} msgs`, r.instant, r.rawInstant, 'bare BullMQ'),
      workerRow(`bare BullMQ worker, 50 ms sleep, concurrency ${CONCURRENCY}`, r.rawSlow, undefined, '', true),
      {
        ...workerRow(`worker, 50 ms provider, ${MESSAGES} msgs`, r.slow, undefined, ''),
        ratio: r.slow.perSecond / ceiling,
        ratioTo: `C / 50 ms = ${ceiling}`,
      },
    );
  }
  if (r.cluster) {
    const ref = r.instant ? 'the single-server worker' : '';
    rows.push(workerRow(`worker on a Redis Cluster (3 masters), instant provider`, r.cluster, r.instant, ref));
  }
  return rows;
}

function settingsOf(r: Results): string[] {
  return [
    `${CONNECTIONS} connections; ${WARMUP} s warm-up (discarded) then ${DURATION} s per HTTP row; ` +
      `backlogs of ${MESSAGES} messages released at once (the queue is paused while they are written)`,
    `seed: ${r.accounts} accounts (${GROUPS.put} PUT targets, ${GROUPS.verify} with a pending code, ` +
      `${GROUPS.verified} verified), ${SESSIONS_PER_USER} sessions each; GET spreads over all accounts and sessions`,
    'anchors (bench/anchor-server.ts, one process each): the same paths and checks (session hash, expiry, owner) ' +
      'with the raw mariadb driver on copies of the seeded tables (anchor_*), same pool size; the PUT anchor ' +
      'adds to a BullMQ queue of its own that no worker drains',
    `NODE_ENV=production, LOG_LEVEL=${LOG_LEVEL}, IP_RATE_LIMIT_PER_MINUTE=10000000, SMS_RESEND_COOLDOWN_SECONDS=0, ` +
      'SMS_MAX_PER_PHONE_PER_HOUR=1000000, CODE_MAX_ATTEMPTS=100, SMS_SEND_RATE_PER_SECOND=100000, ' +
      'the per-account, per-IP, per-country, global and per-phone-failure budgets raised likewise, ' +
      `WORKER_CONCURRENCY=${CONCURRENCY}, DATABASE_POOL_SIZE=${env.DATABASE_POOL_SIZE ?? 'default'}`,
    'every process runs as production runs it: compiled JavaScript (dist/, `pnpm start`; bench/ servers bundled ' +
      'into dist/bench/), with the node options of scripts/node-options.ts (`' +
      PRODUCTION_NODE_ARGS.join(' ') +
      `\`) and its GLIBC_TUNABLES (\`${env.GLIBC_TUNABLES ?? SERVICE_ENV.GLIBC_TUNABLES}\`), no tsx`,
    'the worker is the real process (apps/worker runWorker) with a fake provider (bench/worker-main.ts); ' +
      'it runs during the HTTP rows too, sending the SMS the PUTs queue, except during the flat-out PUT row ' +
      "(queue paused, as no worker drains the PUT anchor's queue; those SMS go out right after it)",
    'backlog rows: p50/p99 are the time from the release of the backlog to `sent` (sms_messages.sent_time)',
    'errors: connection errors, timeouts and any unexpected answer (GET/PUT: not 200; verify: not 400 ' +
      'INVALID_CODE); worker rows: messages not `sent`',
    ...(profile ? [`CPU profiles: bench/tmp/profiles/${runId}-*/ (one folder per process)`] : []),
  ];
}

/** Prints the report and, after a full run, writes bench/results.md; throws when the run had errors. */
export function summarise(r: Results): void {
  const rows = rowsOf(r);
  const targets = targetsOf(r);
  const errors = rows.reduce((sum, row) => sum + row.errors, 0);
  const details = r.pacedSplit.length
    ? [
        `Queued → sent at a steady ${PACED_RATE}/s, by leg (p50 / p99): ` +
          r.pacedSplit.map((p) => `${p.what} ${p.p50} / ${p.p99} ms`).join('; ') +
          '.',
      ]
    : [];
  const report: Report = {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    wallSeconds: (Date.now() - r.begin) / 1000,
    machine: r.machine,
    settings: settingsOf(r),
    rows,
    memory: r.memory,
    details,
    targets,
    notes: errors ? [`**${errors} errors in this run** — the figures are not valid.`] : [],
  };
  writeFileSync(join(ROOT, 'bench/tmp/last.json'), JSON.stringify(report, null, 2));
  const writes = !quick && !partial;
  if (writes) writeResults(join(ROOT, 'bench/results.md'), report);

  console.log('');
  console.log(r.machine.map((m) => `  ${m}`).join('\n'));
  console.log('');
  console.log(tableLines(rows).join('\n'));
  console.log('');
  console.log(cpuTableLines(rows).join('\n'));
  console.log(`\nPeak RSS: ${r.memory.map((m) => `${m.name} ${Math.round(m.peakMb)} MB`).join(', ')}`);
  for (const line of details) console.log(line);
  console.log('');
  for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.what}: ${t.measured} (goal ${t.goal})`);
  console.log(
    `\n${writes ? 'written to bench/results.md' : 'partial or quick run: bench/results.md left as it was'} ` +
      `(${report.wallSeconds.toFixed(0)} s)`,
  );
  if (errors) throw new Error(`${errors} errors during the run`);
}
