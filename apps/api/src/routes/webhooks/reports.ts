import { ID_PATTERN } from '@sms/config';
import type { Release } from './replay-guard';

const ID = new RegExp(ID_PATTERN);

/** True for a string that can be one of our message ids (anything else is no message of ours). */
export const isMessageId = (value: unknown): value is string => typeof value === 'string' && ID.test(value);

/** When the provider says the status changed; now when it sent no time we can read. */
export function reportTime(value: string | undefined): Date {
  const at = value ? new Date(value) : new Date();
  return Number.isNaN(at.getTime()) ? new Date() : at;
}

/**
 * Runs what follows a claimed delivery id. When it fails (the database is
 * away) the id is given back, so the provider's retry of this very report is
 * recorded rather than refused as a replay.
 */
export async function orRelease<T>(release: Release, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    await release();
    throw err;
  }
}
