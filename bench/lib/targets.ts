// The goals a run is held to, met or missed: absolute ones (the first
// benchmark's) and ratios to what was measured beside them in the same run
// (the anchors, bare Fastify's memory, the worker's C / latency bound), which
// a busy machine disturbs far less.
import { CONCURRENCY, LATENCY_MS, PACED_RATE } from './options';
import type { Measured } from './measure';
import type { Target } from './report';
import type { Results } from './summary';

const ms = (n: number) => `${Math.round(n * 10) / 10} ms`;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** `row` at `min` of `ref` or more, both measured in this run. */
const ratioTarget = (what: string, row: Measured, ref: Measured, refName: string, min: number): Target => ({
  what,
  goal: `≥ ${min * 100} % of ${refName}`,
  measured: `${pct(row.rps / ref.rps)} (${Math.round(row.rps)} of ${Math.round(ref.rps)} req/s)`,
  met: row.rps / ref.rps >= min,
});

export function targetsOf(r: Results): Target[] {
  const { base, get, put, verify, instant, slow, paced } = r;
  const join = r.anchors['get-join'];
  const rawPut = r.anchors.put;
  const targets: Target[] = [];
  if (get && base) {
    targets.push({
      what: 'authenticated GET',
      goal: '≥ 35 % of baseline, p99 ≤ 50 ms',
      measured: `${pct(get.rps / base.rps)} (${Math.round(get.rps)} req/s), p99 ${ms(get.p99)}`,
      met: get.rps / base.rps >= 0.35 && get.p99 <= 50,
    });
  }
  if (get && join) targets.push(ratioTarget('GET at the one-query limit', get, join, 'the one-query anchor', 0.9));
  if (put) {
    targets.push({
      what: 'PUT, new phone',
      goal: '≥ 1,000 req/s, p99 ≤ 100 ms',
      measured: `${Math.round(put.rps)} req/s, p99 ${ms(put.p99)}`,
      met: put.rps >= 1000 && put.p99 <= 100,
    });
  }
  if (put && rawPut) targets.push(ratioTarget('PUT close to its anchor', put, rawPut, 'the raw PUT anchor', 0.8));
  if (verify) {
    targets.push({
      what: 'verify, wrong code',
      goal: '≥ 2,000 req/s',
      measured: `${Math.round(verify.rps)} req/s`,
      met: verify.rps >= 2000,
    });
  }
  if (instant && slow) {
    const ceiling = CONCURRENCY / (LATENCY_MS / 1000);
    targets.push(
      {
        what: 'worker, instant provider',
        goal: '≥ 2,000 msg/s',
        measured: `${Math.round(instant.perSecond)} msg/s`,
        met: instant.perSecond >= 2000,
      },
      {
        what: `worker, 50 ms provider, C = ${CONCURRENCY}`,
        goal: `≥ 90 % of ${ceiling} msg/s`,
        measured: `${Math.round(slow.perSecond)} msg/s (${pct(slow.perSecond / ceiling)})`,
        met: slow.perSecond >= 0.9 * ceiling,
      },
    );
  }
  if (paced) {
    targets.push({
      what: `queued → sent at ${PACED_RATE} msg/s`,
      goal: 'p99 ≤ 100 ms',
      measured: `p99 ${ms(paced.sent.p99)} (${Math.round(paced.rps)} PUT/s achieved)`,
      met: paced.sent.p99 <= 100 && paced.rps >= PACED_RATE * 0.95,
    });
  }
  const bare = r.memory.find((m) => m.name === 'baseline server');
  for (const m of r.memory.filter((x) => x.name === 'API' || x.name === 'worker')) {
    targets.push({
      what: `peak RSS, ${m.name}`,
      goal: bare ? '≤ 200 MB and ≤ 1.5 × bare Fastify' : '≤ 200 MB',
      measured: `${Math.round(m.peakMb)} MB` + (bare ? ` (${(m.peakMb / bare.peakMb).toFixed(1)} × bare Fastify)` : ''),
      met: m.peakMb <= 200 && (!bare || m.peakMb <= 1.5 * bare.peakMb),
    });
  }
  return targets;
}
