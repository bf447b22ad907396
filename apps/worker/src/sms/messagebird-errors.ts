import { classifyFailure, type OperatorReason, type TransportFailure } from './classify';
import type { SendError } from './transport';

/** One entry of MessageBird's `errors` array. */
export interface ProviderErrorItem {
  code?: number;
  description?: string;
  parameter?: string;
}

/** Everything known about a failed MessageBird call. */
export interface ProviderFailure extends TransportFailure {
  errors?: ProviderErrorItem[];
}

// MessageBird's error codes (its API documentation's error table).
const OPERATOR_CODES: ReadonlyMap<number, OperatorReason> = new Map([
  [2, 'bad_key'],
  [25, 'no_balance'],
]);
const PERMANENT_CODES: ReadonlySet<number> = new Set([9, 10, 20, 21, 98]);

const detail = (e: ProviderErrorItem) =>
  `code ${e.code ?? '?'}: ${e.description ?? 'no description'}${e.parameter ? ` (parameter: ${e.parameter})` : ''}`;

/** Reads MessageBird's `errors` list for the shared retry policy (classify.ts). */
export function classifyProviderFailure(failure: ProviderFailure): SendError {
  const { errors = [], ...rest } = failure;
  const codes = errors.map((e) => e.code).filter((c): c is number => typeof c === 'number');
  const operatorCode = codes.find((c) => OPERATOR_CODES.has(c));
  const permanentCode = codes.find((c) => PERMANENT_CODES.has(c));
  return classifyFailure({
    ...rest,
    provider: 'MessageBird',
    details: errors.map(detail),
    providerCode: codes[0],
    operatorReason: operatorCode === undefined ? undefined : OPERATOR_CODES.get(operatorCode),
    permanentReason: permanentCode === undefined ? undefined : `code_${permanentCode}`,
    otherReason: codes.length ? `code_${codes.includes(99) ? 99 : 'other'}` : undefined,
  });
}
