import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN, withTimeout } from '@sms/config';
import { Queue, type DefaultJobOptions } from 'bullmq';
import type { RedisClient } from './connections';

/** The contract between the API (producer) and the worker (consumer). */
export const SMS_QUEUE = 'sms' as const;
export const SEND_SMS_JOB = 'send' as const;

/** Job data holds the row id only: phones and texts stay in MySQL. */
export const SendSmsPayload = Type.Object({ messageId: Type.String({ pattern: ID_PATTERN }) });
export type SendSmsPayload = Static<typeof SendSmsPayload>;

export type SmsQueue = Queue<SendSmsPayload, void, typeof SEND_SMS_JOB>;

/** One job per message: a second add of the same id is ignored while the job exists. */
export const jobIdFor = (messageId: string): string => `sms-${messageId}`;

/** Where the API serves MessageBird's delivery reports; the worker gives it as each SMS's reportUrl. */
export const MESSAGEBIRD_REPORT_PATH = '/api/v1/webhooks/messagebird';

/** The key of a Bird SMS's `metadata` that carries our message id; Bird echoes it on every status webhook. */
export const BIRD_METADATA_KEY = 'message_id' as const;

export interface JobsConfig {
  QUEUE_PREFIX: string;
  SMS_MAX_ATTEMPTS: number;
  SMS_BACKOFF_MS: number;
}

export function defaultJobOptions(config: JobsConfig): DefaultJobOptions {
  return {
    attempts: config.SMS_MAX_ATTEMPTS,
    // 2 s, 4 s, 8 s … each cut by up to half at random, so retries after an
    // outage do not arrive at the provider all at once.
    backoff: { type: 'exponential', delay: config.SMS_BACKOFF_MS, jitter: 0.5 },
    // The outcome lives in sms_messages; Redis keeps jobs only for the dashboard.
    removeOnComplete: { age: 3600, count: 10000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/**
 * BullMQ's prefix for QUEUE_PREFIX: in braces, a Redis Cluster hash tag, so
 * every key of the queue (which its Lua scripts touch together) is in one slot.
 * Always braced, on one server too: a cluster can never meet a queue whose
 * keys are spread (CROSSSLOT on every command), and moving to a cluster keeps
 * the key names.
 */
export const queuePrefix = (config: Pick<JobsConfig, 'QUEUE_PREFIX'>): string => `{${config.QUEUE_PREFIX}}`;

export function createSmsQueue(config: JobsConfig, connection: RedisClient): SmsQueue {
  const queue: SmsQueue = new Queue(SMS_QUEUE, {
    connection,
    prefix: queuePrefix(config),
    defaultJobOptions: defaultJobOptions(config),
  });
  return queue;
}

/**
 * Whether Redis answers for the queue: a read of one of the queue's keys, so on
 * a cluster it asks the master of the queue's slot (a PING would ask any node).
 */
export async function probeQueue(config: Pick<JobsConfig, 'QUEUE_PREFIX'>, connection: RedisClient): Promise<void> {
  await connection.exists(`${queuePrefix(config)}:${SMS_QUEUE}:meta`);
}

const ENQUEUE_TIMEOUT_MS = 2000;

/**
 * Adds one send job per message. Fails fast instead of waiting while Redis is
 * down (BullMQ itself would wait for the connection): callers keep the row
 * `queued` and the outbox sweeper enqueues it later.
 */
export async function enqueueSms(
  queue: SmsQueue,
  messageIds: readonly string[],
  connection?: RedisClient,
): Promise<void> {
  if (messageIds.length === 0) return;
  if (connection && connection.status !== 'ready') throw new Error(`redis is not connected (${connection.status})`);
  // One message (every PUT and resend): a plain add, one script call. addBulk
  // goes through an ioredis pipeline, whose construction copies every script
  // command the client has defined (BullMQ's and ours): measurable per request.
  const add: Promise<unknown> =
    messageIds.length === 1
      ? queue.add(SEND_SMS_JOB, { messageId: messageIds[0]! }, { jobId: jobIdFor(messageIds[0]!) })
      : queue.addBulk(
          messageIds.map((messageId) => ({
            name: SEND_SMS_JOB,
            data: { messageId },
            opts: { jobId: jobIdFor(messageId) },
          })),
        );
  await withTimeout(add, ENQUEUE_TIMEOUT_MS, 'enqueue');
}
