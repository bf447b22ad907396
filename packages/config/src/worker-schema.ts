import { Type } from '@sinclair/typebox';

/**
 * The worker's variables (sending, retries, leases, the outbox sweeper): part
 * of the one config schema (schema.ts), kept apart because only the worker
 * reads them.
 */
export const workerVariables = {
  WORKER_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 50,
    description: 'SMS jobs one worker process runs at once.',
  }),
  WORKER_METRICS_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 9100,
    description: 'Port of the worker’s `/metrics` and `/health/live`; `0` picks a free port (logged at start).',
  }),
  SMS_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 50,
    default: 8,
    description: 'Send attempts per message before it is `failed`.',
  }),
  SMS_BACKOFF_MS: Type.Integer({
    minimum: 10,
    maximum: 3600000,
    default: 2000,
    description: 'First retry delay; it doubles each attempt and is cut by up to half at random (jitter).',
  }),
  SMS_SEND_RATE_PER_SECOND: Type.Integer({
    minimum: 1,
    maximum: 100000,
    default: 100,
    description: 'SMS sends per second across all workers (BullMQ’s limiter is global per queue).',
  }),
  SMS_RATE_LIMIT_MS: Type.Integer({
    minimum: 10,
    maximum: 600000,
    default: 1000,
    description: 'Wait after a 429 from MessageBird that names no `Retry-After`; no attempt is used up.',
  }),
  SMS_OPERATOR_PAUSE_MS: Type.Integer({
    minimum: 100,
    maximum: 86400000,
    default: 300000,
    description: 'How long all sending pauses after a bad key or an empty balance.',
  }),
  SMS_LEASE_MS: Type.Integer({
    minimum: 500,
    maximum: 3600000,
    default: 60000,
    description: 'How long a worker owns a `sending` row; keep it well above `MESSAGEBIRD_TIMEOUT_MS`.',
  }),
  WORKER_LOCK_MS: Type.Integer({
    minimum: 500,
    maximum: 600000,
    default: 30000,
    description: 'BullMQ job lock and stalled-job check; a killed worker’s jobs are taken over after about this long.',
  }),
  OUTBOX_SWEEP_INTERVAL_MS: Type.Integer({
    minimum: 50,
    maximum: 600000,
    default: 2000,
    description: 'How often each worker’s outbox sweeper runs.',
  }),
  OUTBOX_SWEEP_AGE_MS: Type.Integer({
    minimum: 0,
    maximum: 3600000,
    default: 5000,
    description: 'How overdue a `queued` row (or an expired lease) must be before the sweeper enqueues it again.',
  }),
};
