import { setTimeout as sleep } from 'node:timers/promises';
import { isLockConflict } from './errors';

const TRIES = 8;

/**
 * Runs `fn` again while InnoDB rolls it back as a deadlock victim or after a
 * lock wait timeout: the documented remedy, and the rolled-back statement left
 * nothing behind. Only for a single statement or a whole transaction, never
 * for a sequence of autocommit statements of which some may have committed.
 * The jittered, growing pause lets the winner finish.
 */
export async function retryOnLockConflict<T>(fn: () => Promise<T>, tries = TRIES): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= tries || !isLockConflict(err)) throw err;
      await sleep(Math.random() * 5 * 2 ** Math.min(attempt, 5));
    }
  }
}
