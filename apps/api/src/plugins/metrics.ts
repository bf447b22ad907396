import { metricsAccess } from '@sms/config';
import { errors } from '@sms/core';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
    /** SMS refused by the country or global send budget: an operator alert (SMS pumping looks like this). */
    smsBudgetExceeded: Counter<'budget'>;
    /** SMS segments written to the outbox, by destination country and encoding: what the texts cost. */
    smsSegments: Counter<'country' | 'encoding'>;
    /** Codes given to SMS_TEST_NUMBERS phones (no SMS). */
    smsTestNumberUses: Counter;
  }
}

/**
 * Prometheus metrics at GET /metrics: requests and their latency by route
 * template (never the raw URL, so ids do not explode the label space) and
 * status, plus the process's own metrics. A registry per app instance keeps
 * several instances in one process (tests) apart.
 */
export default fp(
  async (fastify) => {
    const register = new Registry();
    register.setDefaultLabels({ service: 'api' });
    collectDefaultMetrics({ register });
    const labelNames = ['method', 'route', 'status_code'] as const;
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered',
      labelNames,
      registers: [register],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [register],
    });

    fastify.decorate('metrics', register);
    fastify.decorate(
      'smsBudgetExceeded',
      new Counter({
        name: 'sms_budget_exceeded_total',
        help: 'SMS refused by the per-country or the global send budget (alert on any increase)',
        labelNames: ['budget'] as const,
        registers: [register],
      }),
    );
    fastify.decorate(
      'smsSegments',
      new Counter({
        name: 'sms_segments_total',
        help: 'SMS segments queued, by destination country (ISO alpha-2) and encoding (GSM-7, UCS-2): providers bill per segment',
        labelNames: ['country', 'encoding'] as const,
        registers: [register],
      }),
    );
    fastify.decorate(
      'smsTestNumberUses',
      new Counter({
        name: 'sms_test_number_uses_total',
        help: 'Codes given to SMS_TEST_NUMBERS phones instead of an SMS',
        registers: [register],
      }),
    );
    // A callback hook: an async one costs a promise and a microtask turn on every request.
    fastify.addHook('onResponse', (request, reply, done) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
      done();
    });

    const access = metricsAccess(fastify.config);
    fastify.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      const allowed = access(request.headers.authorization);
      if (allowed === 401) throw errors.notSigned('/metrics needs Authorization: Bearer <METRICS_TOKEN>');
      if (allowed === 403) throw errors.forbidden('/metrics is not served on a public address without METRICS_TOKEN');
      return reply.type(register.contentType).send(await register.metrics());
    });
  },
  { name: 'metrics', dependencies: ['config'] },
);
