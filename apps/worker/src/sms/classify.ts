import { SendError } from './transport';

/** One entry of MessageBird's `errors` array. */
export interface ProviderErrorItem {
  code?: number;
  description?: string;
  parameter?: string;
}

/** Everything known about a failed MessageBird call. */
export interface ProviderFailure {
  /** The HTTP status, when a response arrived. */
  statusCode?: number;
  errors?: ProviderErrorItem[];
  /** The socket error's code (`ECONNRESET`, `ECONNREFUSED`…) when no response arrived. */
  networkCode?: string;
  /** The SDK's message. */
  message: string;
  /** The SDK's idle timer fired (it then aborts the request: `socket hang up`). */
  timedOut?: boolean;
  retryAfterMs?: number;
}

// MessageBird's error codes (its API documentation's error table).
const OPERATOR_CODES: ReadonlyMap<number, string> = new Map([
  [2, 'bad_key'],
  [25, 'no_balance'],
]);
const PERMANENT_CODES: ReadonlySet<number> = new Set([9, 10, 20, 21, 98]);

// Failures where the request never reached MessageBird: retrying cannot send twice.
const NOT_SENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function describe(failure: ProviderFailure): string {
  const parts: string[] = [];
  if (failure.statusCode !== undefined) parts.push(`HTTP ${failure.statusCode}`);
  for (const e of failure.errors ?? []) {
    parts.push(
      `code ${e.code ?? '?'}: ${e.description ?? 'no description'}${e.parameter ? ` (parameter: ${e.parameter})` : ''}`,
    );
  }
  if (!failure.errors?.length) parts.push(failure.message);
  return `MessageBird: ${parts.join(', ')}`;
}

/**
 * Maps a MessageBird failure to what the worker does about it: HTTP status
 * first, then MessageBird's error code (the retry policy in docs/reliability.md).
 */
export function classifyProviderFailure(failure: ProviderFailure): SendError {
  const { statusCode } = failure;
  const codes = (failure.errors ?? []).map((e) => e.code).filter((c): c is number => typeof c === 'number');
  const message = describe(failure);
  const base = { statusCode, providerCode: codes[0], cause: failure };

  if (statusCode === 429) {
    return new SendError(message, {
      ...base,
      kind: 'rate_limited',
      reason: 'rate_limited',
      retryAfterMs: failure.retryAfterMs,
    });
  }
  if (statusCode !== undefined && statusCode >= 500) {
    return new SendError(message, { ...base, kind: 'retry', reason: `http_${statusCode}` });
  }
  const operatorCode = codes.find((c) => OPERATOR_CODES.has(c));
  if (operatorCode !== undefined) {
    return new SendError(message, { ...base, kind: 'operator', reason: OPERATOR_CODES.get(operatorCode)! });
  }
  if (statusCode === 401) return new SendError(message, { ...base, kind: 'operator', reason: 'bad_key' });
  if (statusCode !== undefined && statusCode >= 400) {
    const known = codes.find((c) => PERMANENT_CODES.has(c));
    return new SendError(message, {
      ...base,
      kind: 'permanent',
      reason: known !== undefined ? `code_${known}` : `http_${statusCode}`,
    });
  }
  // No HTTP error status: an `errors` body on a 2xx, or no response at all.
  const permanent = codes.find((c) => PERMANENT_CODES.has(c));
  if (permanent !== undefined)
    return new SendError(message, { ...base, kind: 'permanent', reason: `code_${permanent}` });
  if (codes.length)
    return new SendError(message, { ...base, kind: 'retry', reason: `code_${codes.includes(99) ? 99 : 'other'}` });

  if (failure.timedOut) {
    return new SendError(message, { ...base, kind: 'retry', reason: 'timeout', ambiguous: true });
  }
  if (failure.networkCode && NOT_SENT_NETWORK_CODES.has(failure.networkCode)) {
    return new SendError(message, { ...base, kind: 'retry', reason: 'network' });
  }
  if (failure.networkCode) {
    // A reset or hang-up after the request was written: MessageBird may have taken it.
    return new SendError(message, { ...base, kind: 'retry', reason: 'connection_reset', ambiguous: true });
  }
  // `response failed` (an unparsable 2xx/3xx body) or `request closed` mid-response.
  return new SendError(message, { ...base, kind: 'retry', reason: 'bad_response', ambiguous: true });
}

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unusable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
