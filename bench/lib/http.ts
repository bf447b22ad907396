// The HTTP scenarios, run with autocannon from this process. Every response is
// checked (status, and the error code where one is expected): anything else,
// and every connection error or timeout, counts as an error.
import autocannon, { type Request } from 'autocannon';

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** status → count, for the report when something went wrong. */
  statuses: Record<string, number>;
}

export interface Scenario {
  method: 'GET' | 'PUT' | 'POST';
  /** Called for each request: its path, session header and body. */
  next: () => { path: string; sessionId?: string; body?: unknown };
  expect: (status: number, body: string) => boolean;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
}

export async function load(scenario: Scenario, options: LoadOptions): Promise<LoadResult> {
  let unexpected = 0;
  const statuses: Record<string, number> = {};
  const request: Request = {
    method: scenario.method,
    setupRequest: (req) => {
      const next = scenario.next();
      const headers = { ...req.headers };
      if (next.sessionId) headers['x-session-id'] = next.sessionId;
      if (next.body !== undefined) headers['content-type'] = 'application/json';
      return {
        ...req,
        path: next.path,
        headers,
        ...(next.body !== undefined ? { body: JSON.stringify(next.body) } : {}),
      };
    },
    onResponse: (status, body) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (!scenario.expect(status, body)) unexpected += 1;
    },
  };
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    requests: [request],
  });
  return {
    requests: result.requests.total,
    rps: result.requests.total / (result.duration || options.durationSeconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + unexpected,
    statuses,
  };
}
