import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@sms/config';
import type { SendSmsPayload } from '@sms/jobs';
import { phoneCountry } from '@sms/core';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { ClaimedMessage, Messages } from '../messages';
import type { WorkerMetrics } from '../metrics';
import type { Choice, ProviderHealth } from '../providers/health';
import { SendError, type OutgoingSms, type Transport } from '../sms';

export type SendSmsConfig = Pick<Config, 'SMS_BACKOFF_MS' | 'SMS_RATE_LIMIT_MS' | 'SMS_OPERATOR_PAUSE_MS'>;

export interface SendSmsDeps {
  messages: Messages;
  /** The transports of SMS_TRANSPORT, in its order. */
  transports: readonly Transport[];
  /** Which of them may be sent through (shared by every worker). */
  health: ProviderHealth;
  /** The queue: its rate limit holds for every worker on it. */
  limiter: { rateLimit(ms: number): Promise<void> };
  metrics: WorkerMetrics;
  logger: Logger;
  config: SendSmsConfig;
}

const OPERATOR_REASONS = ['bad_key', 'no_balance'] as const;
const RECORD_SENT_TRIES = 3;

/** The longest BullMQ will wait before the next try (its jitter only shortens it). */
function nextRetryDelayMs(job: Job, fallbackDelay: number): number {
  const backoff = job.opts.backoff;
  if (typeof backoff === 'number') return backoff;
  const delay = backoff?.delay ?? fallbackDelay;
  return backoff?.type === 'fixed' ? delay : 2 ** job.attemptsMade * delay;
}

function asSendError(err: unknown): SendError {
  if (err instanceof SendError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SendError(`transport error: ${message}`, { kind: 'retry', reason: 'unknown', cause: err });
}

/**
 * One job: claim the row, send it, record the outcome. The row, not the job,
 * is the truth: a final row is never sent again, and every way out of
 * `sending` writes the row before the job is told.
 */
export function createSendSmsProcessor(deps: SendSmsDeps) {
  const { messages, health, limiter, metrics, config } = deps;
  const transports = new Map(deps.transports.map((t) => [t.name as string, t]));

  return async function sendSms(job: Job<SendSmsPayload>, token?: string): Promise<void> {
    const { messageId } = job.data;
    // Every line this job logs carries its job id.
    const logger = deps.logger.child({ jobId: job.id });
    const maxAttempts = job.opts.attempts ?? 1;
    const claim = await messages.claim(messageId);

    if (!claim.claimed) {
      if (claim.status === 'sent') {
        logger.debug({ messageId, status: claim.status }, 'nothing to send');
        return;
      }
      if (claim.status === 'failed' || claim.status === 'missing') {
        // Not sent, and never sent by this job: a job run again after its
        // message was given up on (a retry from the dashboard) must end
        // failed, not completed, or the queue would say the SMS went out.
        const reason = claim.status === 'failed' ? 'the message had already failed' : 'the message row does not exist';
        logger.warn({ messageId, status: claim.status }, `not sent: ${reason}`);
        throw new UnrecoverableError(`not sent: ${reason}`);
      }
      // Another worker holds the row (this job was taken over from a worker
      // that may still be sending): look again when its lease ends. No attempt used.
      const until =
        claim.status === 'sending' && claim.leaseExpireTime ? claim.leaseExpireTime.getTime() + 50 : Date.now() + 100;
      await job.moveToDelayed(until, token);
      throw new DelayedError();
    }

    const message = claim.message;
    if (message.attempts > maxAttempts) {
      // Claimed more often than allowed: earlier claims ended without an
      // outcome (workers killed mid-send). Stop rather than loop for ever.
      const reason = `gave up after ${maxAttempts} attempts without a recorded outcome`;
      await messages.markFailed(message, reason);
      metrics.failed.inc({ reason: 'max_attempts' });
      throw new UnrecoverableError(reason);
    }

    // Each provider at most once per run: a retryable failure goes straight to
    // the next healthy one, with the same row, so the same code.
    const sms: OutgoingSms = {
      id: message.id,
      to: message.recipient,
      body: message.body,
      language: message.language ?? undefined,
      attempt: message.attempts,
    };
    const tried = new Set<string>();
    let lastError: SendError | null = null;
    // A provider's failure is logged once this message's fate is written (sent
    // elsewhere, requeued, waiting): what the line says is then true of the row.
    const failures: (() => void)[] = [];
    try {
      for (;;) {
        const choice = await health.choose(tried);
        if (choice.name === null) {
          if (lastError?.kind === 'retry') return await handleFailure(job, message, lastError, maxAttempts);
          return await waitForProvider(logger, message, choice.waitMs, lastError);
        }
        const transport = transports.get(choice.name)!;
        let providerMessageId: string | null;
        try {
          ({ providerMessageId } = await transport.send(sms));
        } catch (err) {
          lastError = asSendError(err);
          tried.add(choice.name);
          metrics.providerFailed.inc({ provider: choice.name, reason: lastError.reason });
          if (lastError.kind === 'permanent') return await handleFailure(job, message, lastError, maxAttempts);
          failures.push(await noteFailure(logger, message, choice, lastError));
          continue;
        }
        await health.succeeded(choice).catch((err: Error) => {
          // The SMS is out: recording it matters more than the provider's health.
          logger.warn({ provider: choice.name, err: err.message }, 'could not record the provider as healthy');
        });
        return await sent(logger, message, transport.name, providerMessageId);
      }
    } finally {
      for (const log of failures) log();
    }
  };

  async function sent(logger: Logger, message: ClaimedMessage, provider: string, providerMessageId: string | null) {
    const sentTime = new Date();
    const recorded = await recordSent(logger, message, { provider, providerMessageId }, sentTime);
    metrics.sent.inc();
    metrics.providerSent.inc({ provider });
    metrics.sentByCountry.inc({ country: phoneCountry(message.recipient) });
    metrics.queuedToSent.observe((sentTime.getTime() - message.createTime.getTime()) / 1000);
    for (const reason of OPERATOR_REASONS) metrics.alertActive.set({ reason }, 0);
    const context = { messageId: message.id, providerMessageId, provider };
    if (recorded) {
      logger.info({ ...context, attempts: message.attempts, transport: provider }, 'sms sent');
    } else {
      logger.warn(context, 'sms sent, but another worker had taken the row over meanwhile');
    }
  }

  /** A provider failed in a way another may not: its health is updated; returns the log line to write. */
  async function noteFailure(
    logger: Logger,
    message: ClaimedMessage,
    choice: Choice & { name: string },
    err: SendError,
  ) {
    const { name } = choice;
    const context = { messageId: message.id, provider: name, reason: err.reason, statusCode: err.statusCode };
    if (err.kind === 'operator') {
      await health.pause(name, config.SMS_OPERATOR_PAUSE_MS, err.reason);
      metrics.alerts.inc({ reason: err.reason });
      metrics.alertActive.set({ reason: err.reason }, 1);
      return () =>
        logger.error(
          { ...context, err: err.message, alert: err.reason, pauseMs: config.SMS_OPERATOR_PAUSE_MS },
          `ALERT: the SMS provider (${name}) refused the account (${err.reason}); it is paused, messages go to the next provider or wait`,
        );
    }
    const restMs = err.kind === 'rate_limited' ? (err.retryAfterMs ?? config.SMS_RATE_LIMIT_MS) : 0;
    await health.failed(name, choice.probe, err.reason, restMs);
    if (err.kind === 'rate_limited') {
      metrics.rateLimited.inc();
      return () => logger.warn({ ...context, waitMs: restMs }, `SMS provider (${name}) rate limit: waiting`);
    }
    return () => logger.info({ ...context, err: err.message }, `sms send through ${name} failed`);
  }

  /**
   * No provider may be sent through now: the message waits, with its attempt
   * refunded (none was made, or the provider took nothing), and the whole
   * queue (every worker) waits with it instead of burning every message's attempts.
   */
  async function waitForProvider(logger: Logger, message: ClaimedMessage, waitMs: number, err: SendError | null) {
    const why = err?.message ?? 'no SMS provider is healthy';
    await messages.requeue(message, why, new Date(Date.now() + waitMs), true);
    await limiter.rateLimit(waitMs);
    metrics.noProvider.inc();
    if (await health.alertNone()) {
      logger.warn(
        { messageId: message.id, alert: 'no_provider', waitMs },
        'ALERT: no SMS provider is healthy; messages wait (none fails for it) until one recovers',
      );
    }
    throw Worker.RateLimitError();
  }

  /**
   * The SMS is out: a lost write now means a second SMS after the lease, so
   * the write is tried a few times before the error goes to BullMQ.
   */
  async function recordSent(
    logger: Logger,
    message: ClaimedMessage,
    sent: { provider: string; providerMessageId: string | null },
    sentTime: Date,
  ) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await messages.markSent(message, sent, sentTime);
      } catch (err) {
        if (attempt >= RECORD_SENT_TRIES) throw err;
        logger.warn(
          { messageId: message.id, ...sent, err: (err as Error).message },
          'recording a sent SMS failed; trying again',
        );
        await sleep(200 * attempt);
      }
    }
  }

  async function handleFailure(job: Job, message: ClaimedMessage, err: SendError, maxAttempts: number): Promise<never> {
    const logger = deps.logger.child({ jobId: job.id });
    const context = { messageId: message.id, reason: err.reason, statusCode: err.statusCode, err: err.message };

    if (err.kind === 'permanent') {
      await messages.markFailed(message, err.message);
      metrics.failed.inc({ reason: err.reason });
      logger.warn(context, 'sms failed permanently');
      throw new UnrecoverableError(err.message);
    }

    if (job.attemptsMade + 1 >= maxAttempts) {
      await messages.markFailed(message, err.message);
      metrics.failed.inc({ reason: err.reason });
      logger.warn({ ...context, attempts: message.attempts }, 'sms failed: no attempts left');
      throw err;
    }
    const delayMs = nextRetryDelayMs(job, config.SMS_BACKOFF_MS);
    await messages.requeue(message, err.message, new Date(Date.now() + delayMs), false);
    metrics.retries.inc({ reason: err.reason });
    logger.info({ ...context, attempts: message.attempts, retryInMs: delayMs }, 'sms send failed; will retry');
    throw err;
  }
}
