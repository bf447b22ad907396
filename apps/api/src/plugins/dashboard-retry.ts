import { AppError, ErrorCode } from '@sms/core';
import { SmsMessagesRepository } from '@sms/db';
import type { SmsQueue } from '@sms/jobs';
import type { Job } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors';

// Bull Board's own retry routes (relative to the dashboard's prefix). Its
// handlers call job.retry(), which puts the job back as it is: the worker then
// found the row final and the job ended COMPLETED with nothing sent. These two
// routes are answered here instead, by what the message's row says.
const RETRY_ONE = '/api/queues/:queueName/:jobId/retry';
const RETRY_ALL = '/api/queues/:queueName/retry/:queueStatus';
const RETRIABLE = new Set(['failed', 'completed']);
const PAGE = 100;

type Verdict = { retry: true } | { retry: false; why: string };

/**
 * A message whose row is final cannot be sent again: a sent one is out, and a
 * failed one's text (it carries the code) was redacted when it failed. Those
 * retries are refused; the user asks for a new code instead. A message still
 * to be sent is retried with fresh attempts, in the queue and in its row.
 */
async function retryJob(job: Job, state: string, messages: SmsMessagesRepository): Promise<Verdict> {
  const messageId = (job.data as { messageId?: unknown } | undefined)?.messageId;
  const status = typeof messageId === 'string' ? await messages.status(messageId) : null;
  if (status === 'sent') return { retry: false, why: 'its SMS was sent already' };
  if (status === 'failed') {
    return { retry: false, why: 'its SMS failed and its text was redacted; the user must request a new code' };
  }
  if (status === null) return { retry: false, why: 'it has no message to send' };
  await messages.restartAttempts(messageId as string);
  await job.retry(state as 'failed' | 'completed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  return { retry: true };
}

const refused = (message: string, details: Record<string, unknown>) =>
  new AppError(409, ErrorCode.RETRY_REFUSED, message, details);

/** Adds the hook to the dashboard's scope, after its admin check. */
export function guardRetries(board: FastifyInstance, queue: SmsQueue, prefix: string) {
  const messages = new SmsMessagesRepository(board.db);

  board.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'PUT' || reply.sent) return;
    const route = request.routeOptions.url?.slice(prefix.length);
    if (route !== RETRY_ONE && route !== RETRY_ALL) return;
    const params = request.params as { queueName?: string; jobId?: string; queueStatus?: string };
    // Unknown queues, jobs and states: Bull Board's own answers.
    if (params.queueName !== queue.name) return;

    if (route === RETRY_ONE) {
      const job = await queue.getJob(params.jobId ?? '');
      const state = job ? await job.getState() : '';
      if (!job || !RETRIABLE.has(state)) return;
      const verdict = await retryJob(job, state, messages);
      if (!verdict.retry) {
        request.log.warn({ jobId: job.id, why: verdict.why }, 'dashboard retry refused');
        return sendError(reply, request, refused(`not retried: ${verdict.why}`, { jobId: job.id }));
      }
      request.log.info({ jobId: job.id }, 'dashboard retry');
      return reply.status(204).send();
    }

    const state = params.queueStatus ?? '';
    if (!RETRIABLE.has(state)) return;
    let retried = 0;
    let refusedCount = 0;
    const reasons: Record<string, number> = {};
    // Retried jobs leave the set and refused ones stay at its head, so each
    // page starts after the ones refused so far.
    for (;;) {
      const jobs = await queue.getJobs([state as 'failed' | 'completed'], refusedCount, refusedCount + PAGE - 1);
      if (jobs.length === 0) break;
      for (const job of jobs) {
        const verdict = await retryJob(job, state, messages);
        if (verdict.retry) retried++;
        else {
          refusedCount++;
          reasons[verdict.why] = (reasons[verdict.why] ?? 0) + 1;
        }
      }
    }
    request.log.info({ state, retried, refused: refusedCount }, 'dashboard retry of all jobs');
    if (refusedCount === 0) return reply.status(200).send({ retried, skipped: 0 });
    const why = Object.entries(reasons)
      .map(([reason, n]) => `${n}: ${reason}`)
      .join('; ');
    return sendError(reply, request, refused(`${retried} retried, ${refusedCount} not retried (${why})`, { retried }));
  });
}
