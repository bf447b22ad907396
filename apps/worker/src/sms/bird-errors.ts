import { classifyFailure, type OperatorReason, type TransportFailure } from './classify';
import type { SendError } from './transport';

/**
 * Bird's error body, `{"error": {...}}` (the `Error`/`ErrorBody` schemas of
 * its OpenAPI document, as `@messagebird/sdk` reads them in `errors.ts`).
 */
interface BirdErrorBody {
  type?: string;
  /** Opaque and stable, `E#####`. */
  code?: string;
  /** A readable slug: `request_in_progress`, `idempotency_key_reuse`… */
  name?: string;
  message?: string;
  param?: string;
  details?: { param?: string; message?: string }[];
}

// Every `type` Bird documents; anything else is not used as a metric label.
const TYPES: ReadonlySet<string> = new Set([
  'auth_error',
  'bad_request_error',
  'billing_error',
  'conflict_error',
  'gone_error',
  'internal_error',
  'misdirected_error',
  'not_found_error',
  'not_implemented_error',
  'payload_too_large_error',
  'permission_error',
  'precondition_error',
  'rate_limit_error',
  'service_unavailable_error',
  'too_early_error',
  'validation_error',
]);

// A key that is refused (401) or lacks the right to send (403), and an empty
// wallet (402): nothing a retry fixes until a person acts.
const OPERATOR_TYPES: ReadonlyMap<string, OperatorReason> = new Map([
  ['auth_error', 'bad_key'],
  ['permission_error', 'bad_key'],
  ['billing_error', 'no_balance'],
]);

// The SDK's own fallback when a body names no type (a proxy's page): by status.
const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  401: 'auth_error',
  402: 'billing_error',
  403: 'permission_error',
};

/** 409 `request_in_progress`: the same request is still being handled; Bird says to wait and retry. */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set(['request_in_progress']);

function readBody(body: unknown): BirdErrorBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const wrapped = (body as { error?: unknown }).error;
  const error = typeof wrapped === 'object' && wrapped !== null ? wrapped : body;
  return error as BirdErrorBody;
}

function describeError(error: BirdErrorBody): string[] {
  const head = [error.type, error.code, error.name].filter(Boolean).join(' ');
  const first = `${head || 'error'}: ${error.message ?? 'no message'}${error.param ? ` (param: ${error.param})` : ''}`;
  const fields = (error.details ?? []).map((d) => `${d.param ?? '?'}: ${d.message ?? 'invalid'}`);
  return [first, ...fields];
}

export interface BirdFailure extends TransportFailure {
  /** The response body, parsed when it was JSON. */
  body?: unknown;
}

/** Reads Bird's error body for the shared retry policy (classify.ts). */
export function classifyBirdFailure(failure: BirdFailure): SendError {
  const { body, ...rest } = failure;
  const error = readBody(body);
  const type = error?.type ?? (failure.statusCode === undefined ? undefined : TYPE_BY_STATUS[failure.statusCode]);
  const known = type !== undefined && TYPES.has(type) ? type : undefined;
  return classifyFailure({
    ...rest,
    provider: 'Bird',
    details: error ? describeError(error) : undefined,
    providerCode: error?.code,
    operatorReason: known === undefined ? undefined : OPERATOR_TYPES.get(known),
    permanentReason: known,
    transientReason: error?.name !== undefined && TRANSIENT_NAMES.has(error.name) ? error.name : undefined,
  });
}
