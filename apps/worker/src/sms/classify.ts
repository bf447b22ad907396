import { SendError } from './transport';

/** The two problems no retry fixes until a person acts; they pause all sending and alert. */
export type OperatorReason = 'bad_key' | 'no_balance';

/**
 * Everything known about a failed provider call, with the provider's error
 * body already read by its transport (messagebird-errors.ts, bird-errors.ts):
 * the policy below is the same for every provider.
 */
export interface Failure {
  /** For messages: `MessageBird`, `Bird`. */
  provider: string;
  /** The HTTP status, when a response arrived. */
  statusCode?: number;
  /** The error body, one readable entry per error; none when there was no body. */
  details?: string[];
  /** The provider's first error code, for logs. */
  providerCode?: number | string;
  /** The body names a bad key or an empty balance. */
  operatorReason?: OperatorReason;
  /** The body names a problem no retry can fix (a bounded label: `code_9`, `validation_error`). */
  permanentReason?: string;
  /** The body says a retry can succeed despite a 4xx status (Bird's 409 `request_in_progress`). */
  transientReason?: string;
  /** The body holds errors that name nothing known (a label for a retry). */
  otherReason?: string;
  /** The socket error's code (`ECONNRESET`, `ECONNREFUSED`…) when no response arrived. */
  networkCode?: string;
  /** The client's message (the SDK's, or our HTTP client's). */
  message: string;
  /** Our timeout fired: the provider may have taken the request. */
  timedOut?: boolean;
  retryAfterMs?: number;
}

/** What any transport knows of a failed call before reading the provider's error body. */
export type TransportFailure = Pick<Failure, 'statusCode' | 'networkCode' | 'message' | 'timedOut' | 'retryAfterMs'>;

// Failures where the request never reached the provider: retrying cannot send twice.
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

function describe(failure: Failure): string {
  const parts: string[] = [];
  if (failure.statusCode !== undefined) parts.push(`HTTP ${failure.statusCode}`);
  if (failure.details?.length) parts.push(...failure.details);
  else parts.push(failure.message);
  return `${failure.provider}: ${parts.join(', ')}`;
}

/**
 * Maps a failed send to what the worker does about it: HTTP status first,
 * then what the provider's body says (the retry policy in docs/reliability.md).
 */
export function classifyFailure(failure: Failure): SendError {
  const { statusCode } = failure;
  const message = describe(failure);
  const base = { statusCode, providerCode: failure.providerCode, cause: failure };

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
  if (failure.operatorReason !== undefined) {
    return new SendError(message, { ...base, kind: 'operator', reason: failure.operatorReason });
  }
  if (statusCode === 401) return new SendError(message, { ...base, kind: 'operator', reason: 'bad_key' });
  if (failure.transientReason !== undefined) {
    // The provider is still working on this very request: it may yet send it.
    return new SendError(message, { ...base, kind: 'retry', reason: failure.transientReason, ambiguous: true });
  }
  if (statusCode !== undefined && statusCode >= 400) {
    return new SendError(message, {
      ...base,
      kind: 'permanent',
      reason: failure.permanentReason ?? `http_${statusCode}`,
    });
  }
  // No HTTP error status: an error body on a 2xx, or no response at all.
  if (failure.permanentReason !== undefined)
    return new SendError(message, { ...base, kind: 'permanent', reason: failure.permanentReason });
  if (failure.otherReason !== undefined)
    return new SendError(message, { ...base, kind: 'retry', reason: failure.otherReason });

  if (failure.timedOut) {
    return new SendError(message, { ...base, kind: 'retry', reason: 'timeout', ambiguous: true });
  }
  if (failure.networkCode && NOT_SENT_NETWORK_CODES.has(failure.networkCode)) {
    return new SendError(message, { ...base, kind: 'retry', reason: 'network' });
  }
  if (failure.networkCode) {
    // A reset or hang-up after the request was written: the provider may have taken it.
    return new SendError(message, { ...base, kind: 'retry', reason: 'connection_reset', ambiguous: true });
  }
  // An unparsable 2xx/3xx body, or the response cut off mid-way.
  return new SendError(message, { ...base, kind: 'retry', reason: 'bad_response', ambiguous: true });
}

/** A 2xx that names no message: the provider may have sent it, so it is retried as ambiguous. */
export function falseSuccess(provider: string, statusCode: number | undefined): SendError {
  return new SendError(`${provider}: HTTP ${statusCode ?? '2xx'} without a message id`, {
    kind: 'retry',
    reason: 'false_success',
    ambiguous: true,
    statusCode,
  });
}

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unusable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
