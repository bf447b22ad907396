/**
 * Domain errors: a stable `code` (API.md's error table) and the HTTP status it
 * maps to. Services throw these; the API's one error handler renders them.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
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
    new AppError(400, 'INVALID_REQUEST', message, details),
  wrongPhone: () =>
    new AppError(400, 'WRONG_PHONE', 'phone is not a valid international phone number', { field: 'phone' }),
  countryNotAllowed: () =>
    new AppError(400, 'COUNTRY_NOT_ALLOWED', "SMS cannot be sent to this phone's country", { field: 'phone' }),
  invalidCode: () => new AppError(400, 'INVALID_CODE', 'the code is wrong, expired or was never sent'),
  notSigned: () => new AppError(401, 'NOT_SIGNED', 'sign in first: x-session-id is missing, unknown or expired'),
  wrongCredentials: () => new AppError(401, 'WRONG_CREDENTIALS', 'wrong login or password'),
  notOwnerOrAdmin: () => new AppError(403, 'NOT_OWNER_OR_ADMIN', 'only the account owner or an admin may do this'),
  forbidden: (message = 'only admins may do this') => new AppError(403, 'FORBIDDEN', message),
  notFound: (message = 'not found') => new AppError(404, 'NOT_FOUND', message),
  phoneInUse: () => new AppError(409, 'PHONE_IN_USE', 'this phone is already verified by another account'),
  loginAlreadyUsed: () => new AppError(409, 'LOGIN_ALREADY_USED', 'this login is taken'),
  tooManyRequests: (retryAfter: number) =>
    new AppError(429, 'TOO_MANY_REQUESTS', `too many requests; retry in ${retryAfter} s`, undefined, retryAfter),
  tooManyAttempts: () =>
    new AppError(429, 'TOO_MANY_ATTEMPTS', 'too many wrong codes: this code is dead, request a new one'),
  unavailable: () => new AppError(503, 'UNAVAILABLE', 'the database is unavailable; try again shortly'),
};
