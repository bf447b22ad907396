/**
 * Every `code` an error answer of the API can carry, its own and those it maps
 * the framework's errors to. The OpenAPI error schema enumerates this list.
 */
export const ErrorCode = {
  INVALID_REQUEST: 'INVALID_REQUEST',
  WRONG_PHONE: 'WRONG_PHONE',
  COUNTRY_NOT_ALLOWED: 'COUNTRY_NOT_ALLOWED',
  INVALID_CODE: 'INVALID_CODE',
  NOT_SIGNED: 'NOT_SIGNED',
  WRONG_CREDENTIALS: 'WRONG_CREDENTIALS',
  NOT_OWNER_OR_ADMIN: 'NOT_OWNER_OR_ADMIN',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  PHONE_IN_USE: 'PHONE_IN_USE',
  LOGIN_ALREADY_USED: 'LOGIN_ALREADY_USED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  RETRY_REFUSED: 'RETRY_REFUSED',
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',
  PHONE_TYPE_NOT_ALLOWED: 'PHONE_TYPE_NOT_ALLOWED',
  WEAK_PASSWORD: 'WEAK_PASSWORD',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Domain errors: a stable `code` and the HTTP status it maps to. Services
 * throw these; the API's one error handler renders them.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Seconds, for 429 answers (sent as Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export const errors = {
  invalidRequest: (message: string, details?: Record<string, unknown>) =>
    new AppError(400, ErrorCode.INVALID_REQUEST, message, details),
  wrongPhone: () =>
    new AppError(400, ErrorCode.WRONG_PHONE, 'phone is not a valid international phone number', { field: 'phone' }),
  countryNotAllowed: () =>
    new AppError(400, ErrorCode.COUNTRY_NOT_ALLOWED, "SMS cannot be sent to this phone's country", {
      field: 'phone',
    }),
  invalidCode: () => new AppError(400, ErrorCode.INVALID_CODE, 'the code is wrong, expired or was never sent'),
  notSigned: (message = 'sign in first: x-session-id is missing, unknown or expired') =>
    new AppError(401, ErrorCode.NOT_SIGNED, message),
  wrongCredentials: () => new AppError(401, ErrorCode.WRONG_CREDENTIALS, 'wrong login or password'),
  notOwnerOrAdmin: () =>
    new AppError(403, ErrorCode.NOT_OWNER_OR_ADMIN, 'only the account owner or an admin may do this'),
  forbidden: (message = 'only admins may do this') => new AppError(403, ErrorCode.FORBIDDEN, message),
  notFound: (message = 'not found') => new AppError(404, ErrorCode.NOT_FOUND, message),
  phoneInUse: () => new AppError(409, ErrorCode.PHONE_IN_USE, 'this phone is already verified by another account'),
  loginAlreadyUsed: () => new AppError(409, ErrorCode.LOGIN_ALREADY_USED, 'this login is taken'),
  tooManyRequests: (retryAfter: number) =>
    new AppError(
      429,
      ErrorCode.TOO_MANY_REQUESTS,
      `too many requests; retry in ${retryAfter} s`,
      undefined,
      retryAfter,
    ),
  tooManyAttempts: (retryAfter: number) =>
    new AppError(
      429,
      ErrorCode.TOO_MANY_ATTEMPTS,
      `too many wrong codes for this phone; retry in ${retryAfter} s`,
      undefined,
      retryAfter,
    ),
  phoneTypeNotAllowed: () =>
    new AppError(
      400,
      ErrorCode.PHONE_TYPE_NOT_ALLOWED,
      'SMS cannot be sent to this kind of number (landline, paid, shared or non-geographic line)',
      { field: 'phone' },
    ),
  weakPassword: () =>
    new AppError(400, ErrorCode.WEAK_PASSWORD, 'this password is among the most commonly used; choose another', {
      field: 'password',
    }),
  unavailable: () => new AppError(503, ErrorCode.UNAVAILABLE, 'the database is unavailable; try again shortly'),
  invalidSignature: () =>
    new AppError(401, ErrorCode.INVALID_SIGNATURE, 'the webhook signature is missing, invalid, expired or replayed'),
};
