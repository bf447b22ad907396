// A steady, open-loop load: request i leaves at start + i / rate, whatever
// happened to the ones before it (autocannon's own rate limit sends each
// connection's share in a burst at the start of every second, which measures
// bursts, not a rate). Latency is counted from the planned departure, so a
// late send shows up as latency too.
import http from 'node:http';
import type { LoadResult, Scenario } from './http';
import { percentile } from './worker';

export async function paced(scenario: Scenario, url: string, rate: number, seconds: number): Promise<LoadResult> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let sent = 0;
  const inFlight = new Set<Promise<void>>();

  const one = (plannedAt: number) => {
    const next = scenario.next();
    const body = next.body === undefined ? undefined : JSON.stringify(next.body);
    const promise = new Promise<void>((resolve) => {
      const req = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: scenario.method,
          path: next.path,
          timeout: 10_000,
          headers: {
            ...(next.sessionId ? { 'x-session-id': next.sessionId } : {}),
            ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (!scenario.expect(status, Buffer.concat(chunks).toString('utf8'))) errors += 1;
            latencies.push(performance.now() - plannedAt);
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    });
    inFlight.add(promise);
    void promise.then(() => inFlight.delete(promise));
  };

  const start = performance.now();
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + (sent * 1000) / rate <= now) {
      one(start + (sent * 1000) / rate);
      sent += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: Math.round(percentile(latencies, 50) * 10) / 10,
    p99: Math.round(percentile(latencies, 99) * 10) / 10,
    errors,
    statuses,
  };
}
