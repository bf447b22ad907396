import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The queue as the metrics need it (a BullMQ Queue in production). */
export interface QueueCounts {
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const;

const SENT_BY_COUNTRY = {
  name: 'sms_codes_sent_total',
  help: 'SMS the provider accepted, by destination country (ISO code)',
  labelNames: ['country'] as const,
};

export type WorkerMetrics = ReturnType<typeof createMetrics>;

/**
 * The worker's Prometheus metrics, in a registry of their own so that tests
 * (and several workers in one process) never share counters.
 */
export function createMetrics(options: { queue?: QueueCounts; defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  // Counters differ only in name, help and whether they are split by reason.
  const counter = (name: string, help: string) => new Counter({ name, help, registers });
  const byReason = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['reason'] as const, registers });

  const queue = options.queue;
  return {
    registry,
    sent: counter('sms_messages_sent_total', 'SMS the provider accepted'),
    // The funnel's first step; with the API's sms_delivery_reports_total and
    // sms_codes_verified_total it gives rates per country (docs/delivery-reports.md).
    sentByCountry: new Counter({ ...SENT_BY_COUNTRY, registers }),
    failed: byReason(
      'sms_messages_failed_total',
      'SMS given up on, by reason (code_9, http_500, timeout, max_attempts…)',
    ),
    retries: byReason('sms_send_retries_total', 'Failed send attempts that will be retried with backoff, by reason'),
    rateLimited: counter('sms_rate_limited_total', 'Sends the provider refused with 429 (waited for, no attempt used)'),
    alerts: byReason(
      'sms_provider_alerts_total',
      'Operator problems reported by the provider (bad_key, no_balance); sending pauses',
    ),
    alertActive: new Gauge({
      name: 'sms_provider_alert',
      help: '1 while the last provider answer was an operator problem of this reason, 0 after a success',
      labelNames: ['reason'] as const,
      registers,
    }),
    providerSent: new Counter({
      name: 'sms_provider_sent_total',
      help: 'SMS each provider accepted',
      labelNames: ['provider'] as const,
      registers,
    }),
    providerFailed: new Counter({
      name: 'sms_provider_failed_total',
      help: 'Failed sends by provider and reason (a retryable one goes on to the next provider)',
      labelNames: ['provider', 'reason'] as const,
      registers,
    }),
    providerState: new Gauge({
      name: 'sms_provider_state',
      help: '1 for each provider’s state (healthy, unhealthy, probing) as this worker last read it, 0 for the others',
      labelNames: ['provider', 'state'] as const,
      registers,
    }),
    noProvider: counter(
      'sms_no_provider_total',
      'Sends that waited because no provider was healthy (no attempt used; alert when it grows)',
    ),
    queuedToSent: new Histogram({
      name: 'sms_queued_to_sent_seconds',
      help: 'Time from the row being queued to the provider accepting the SMS',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
    sweeperEnqueued: counter(
      'sms_outbox_reenqueued_total',
      'Jobs the outbox sweeper added or revived for rows that had none',
    ),
    queueDepth: new Gauge({
      name: 'sms_queue_jobs',
      help: 'Jobs in the sms queue by state, read from Redis at scrape time',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        if (!queue) return;
        // While Redis is down the last known depth stays: a scrape must not fail.
        const counts = await queue.getJobCounts(...QUEUE_STATES).catch(() => null);
        if (counts) for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
      },
    }),
  };
}
