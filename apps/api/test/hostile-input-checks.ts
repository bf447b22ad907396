// How the hostile-input tests judge an answer: never a 5xx or a stack trace,
// an error always the contract's body with the correlation id of
// x-request-id, and (by a fingerprint of every row) no change when rejected.
import { ErrorCode } from '@sms/core';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';

/** Every error code but INTERNAL, which only a 5xx carries. */
const CODES = new Set<string>(Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL));
const ERROR_KEYS = new Set(['code', 'status', 'message', 'correlation_id', 'details']);

/**
 * `ownErrors`: Bull Board's JSON API behind the admin check answers its own
 * UI in its own error format; there only "no 5xx, no stack trace" is asked.
 */
export function assertAnswer(res: LightMyRequestResponse, what: string, ownErrors = false): void {
  if (res.statusCode >= 500) throw new Error(`${what}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  if (/\bat .+\.(ts|js):\d+/.test(res.body)) throw new Error(`${what}: stack trace in ${res.body.slice(0, 300)}`);
  if (res.statusCode < 400 || ownErrors) return;
  const type = String(res.headers['content-type'] ?? '');
  // The dashboard's browser sign-in page answers a failed form post with HTML.
  if (what.includes('/admin/login') && type.startsWith('text/html')) return;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    throw new Error(`${what}: ${res.statusCode} without a JSON body: ${res.body.slice(0, 200)}`);
  }
  const extra = Object.keys(parsed).filter((k) => !ERROR_KEYS.has(k));
  if (
    extra.length ||
    typeof parsed.code !== 'string' ||
    !CODES.has(parsed.code) ||
    parsed.status !== res.statusCode ||
    typeof parsed.message !== 'string' ||
    parsed.correlation_id !== res.headers['x-request-id']
  ) {
    throw new Error(`${what}: not the contract's error body: ${res.statusCode} ${res.body.slice(0, 300)}`);
  }
}

/**
 * A fingerprint of every row the service keeps. `exceptAttempts`: leaves out
 * sms_settings' failed-attempt counter (and the update time it moves), which
 * a wrong code must raise: that is the brute-force guard, not a change.
 */
export async function snapshot(server: FastifyInstance, exceptAttempts = false): Promise<string> {
  // An accepted resend stores its new code after answering: let it land first,
  // so it is not taken for a change made by the next, rejected request.
  await server.verification.settled();
  const tables = exceptAttempts ? 'accounts, sessions, sms_messages' : 'accounts, sessions, sms_settings, sms_messages';
  const rows = await server.prisma.$queryRawUnsafe<{ Table: string; Checksum: bigint | null }[]>(
    `CHECKSUM TABLE ${tables}`,
  );
  const sums = rows.map((r) => `${r.Table.split('.').pop()}=${String(r.Checksum)}`);
  if (exceptAttempts) {
    const [settings] = await server.prisma.$queryRawUnsafe<{ n: bigint; x: bigint | null }[]>(
      `SELECT COUNT(*) n, BIT_XOR(CRC32(CONCAT_WS('|', user_id, phone, verified, verified_phone, code_hash, code_expire_time))) x
       FROM sms_settings`,
    );
    sums.push(`sms_settings=${String(settings?.n)}/${String(settings?.x)}`);
  }
  return sums.join(' ');
}

/** Runs a property; a failure reports fast-check's counterexample and seed and what was wrong. */
export async function holds(
  t: Test,
  property: fc.IAsyncProperty<unknown[]> | fc.IAsyncPropertyWithHooks<unknown[]>,
  numRuns: number,
  name: string,
) {
  try {
    await fc.assert(property, { numRuns });
    t.pass(name);
  } catch (err) {
    const cause = (err as Error).cause as Error | undefined;
    t.fail(`${name}: ${cause?.message ?? ''}\n${(err as Error).message.split('Hint:')[0]}`);
  }
}
