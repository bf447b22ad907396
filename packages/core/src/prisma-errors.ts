import { Prisma } from '@sms/db';

/** Prisma's "unique constraint failed" (P2002), optionally on a named index. */
export function isUniqueViolation(err: unknown, index?: string): boolean {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError) || err.code !== 'P2002') return false;
  if (!index) return true;
  // With driver adapters the index name is only in the driver's message.
  return JSON.stringify(err.meta ?? {}).includes(index) || err.message.includes(index);
}
