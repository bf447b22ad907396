import type { Statement } from '../sql';

/**
 * An UPDATE that moves update_time to the time of the write, as Prisma's
 * @updatedAt does for Prisma's own writes. Every hand-written UPDATE of a
 * table with that column is built here, so none forgets it. `values` are the
 * placeholders of `set`, then of `where`.
 */
export function update(
  table: 'sms_settings' | 'sms_messages',
  set: string,
  where: string,
  values: readonly unknown[],
  now = new Date(),
): Statement {
  return [`UPDATE ${table} SET update_time = ?, ${set} WHERE ${where}`, [now, ...values]];
}
