export interface LimitWindow {
  cooldownMs: number;
  maxPerHour: number;
}

export const HOUR_MS = 3_600_000;

/**
 * How long a phone must wait before its next SMS, from the creation times of
 * its recent SMS (newest first; at least the last `maxPerHour` of the past
 * hour): the cooldown after the newest, or, when the hour already holds
 * `maxPerHour`, until the oldest of them leaves the hour. 0 when it may go now.
 */
export function waitFromHistory(recent: readonly Date[], now: number, limits: LimitWindow): number {
  const newest = recent[0]?.getTime();
  const cooldownWait = newest === undefined ? 0 : newest + limits.cooldownMs - now;
  const oldest = recent.at(-1)?.getTime();
  // Stryker disable next-line ConditionalExpression: `oldest` is only undefined for no SMS, and maxPerHour is at least 1
  const capWait = recent.length >= limits.maxPerHour && oldest !== undefined ? oldest + HOUR_MS - now : 0;
  return Math.max(cooldownWait, capWait, 0);
}
