import { Prisma } from './generated/client';

// Codes that mean "the database (or the way to it) is down", wherever they sit
// in the chain Prisma, its adapter and the mariadb driver wrap around them.
const UNAVAILABLE_CODES = new Set([
  'P1001',
  'P1002',
  'P1017',
  'P2024',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ER_GET_CONNECTION_TIMEOUT',
  'ER_CONNECTION_TIMEOUT',
  'ER_SOCKET_UNEXPECTED_CLOSE',
  'ER_CONNECTION_ALREADY_CLOSED',
  'ER_CLOSING_POOL',
  'ER_POOL_ALREADY_CLOSED',
  // Lock conflicts that outlived the transaction retries: transient, so "try again".
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);
const UNAVAILABLE_TEXT =
  /pool timeout|ECONNREFUSED|Connection refused|connect ETIMEDOUT|socket has unexpectedly been closed|Can't reach database|Unable to start a transaction in the given time/i;

/** The database cannot be reached or is overloaded: the caller may try again shortly. */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 6) return false;
  const e = err as { code?: unknown; name?: string; message?: string; cause?: unknown; meta?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (e.name === 'PrismaClientInitializationError') return true;
  if (depth === 0 && isLockConflict(err)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_TEXT.test(e.message)) return true;
  const meta = e.meta as { driverAdapterError?: unknown } | undefined;
  return isDatabaseUnavailable(e.cause, depth + 1) || isDatabaseUnavailable(meta?.driverAdapterError, depth + 1);
}

const LOCK_ERRNOS = new Set([1213, 1205]);
const LOCK_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'P2034']);

/**
 * A deadlock (1213) or lock wait timeout (1205): the statement or transaction
 * was rolled back and may simply be run again. Found wherever it sits: the
 * driver's own error, Prisma's P2034 ("write conflict or a deadlock"), or the
 * driver adapter's error inside a Prisma error.
 */
export function isLockConflict(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 6) return false;
  const e = err as { errno?: unknown; code?: unknown; kind?: unknown; cause?: unknown; meta?: unknown };
  if (typeof e.errno === 'number' && LOCK_ERRNOS.has(e.errno)) return true;
  if (typeof e.code === 'number' && LOCK_ERRNOS.has(e.code)) return true;
  if (typeof e.code === 'string' && LOCK_CODES.has(e.code)) return true;
  if (e.kind === 'TransactionWriteConflict') return true;
  const meta = e.meta as { driverAdapterError?: unknown } | undefined;
  return isLockConflict(e.cause, depth + 1) || isLockConflict(meta?.driverAdapterError, depth + 1);
}

/** Prisma's "unique constraint failed" (P2002), optionally on a named index. */
export function isUniqueViolation(err: unknown, index?: string): boolean {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError) || err.code !== 'P2002') return false;
  if (!index) return true;
  // With driver adapters the index name is only in the driver's message.
  return JSON.stringify(err.meta ?? {}).includes(index) || err.message.includes(index);
}

/**
 * One line for an operator about a failed connection at start: the driver's
 * own first line, plus what to change when the fix is in DATABASE_URL. MySQL's
 * default caching_sha2_password, with a cold cache and no TLS, needs the
 * server's RSA key (a restarted server or a managed MySQL gives exactly that).
 */
export function describeConnectError(err: unknown): string {
  const e = err as { text?: string; message?: string; errno?: number; code?: string };
  const [reason = ''] = String(e.text ?? e.message ?? err).split('\n');
  if (e.errno === 45044 || e.code === 'ER_CANNOT_RETRIEVE_RSA_KEY') {
    return `${reason} (add ?allowPublicKeyRetrieval=true to DATABASE_URL, or connect with TLS: ?ssl=true)`;
  }
  return reason;
}
