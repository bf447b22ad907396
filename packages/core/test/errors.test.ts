// The error answers the services give: the status, the stable code clients
// switch on, the message and the details they read. The API renders these as
// they are, so a changed word here is a changed answer.
import t from 'tap';
import { AppError, ErrorCode, errors } from '../src/errors';
import { redactBody } from '../src/redact';

const answer = (err: AppError) => ({
  status: err.status,
  code: err.code,
  message: err.message,
  details: err.details,
  retryAfter: err.retryAfter,
});

t.test('every code is sent as its own name', async (t) => {
  for (const [name, value] of Object.entries(ErrorCode)) t.equal(value, name);
  t.equal(Object.keys(ErrorCode).length, 22);
});

t.test('each error, as a client sees it', async (t) => {
  const none = { details: undefined, retryAfter: undefined };
  const phone = { details: { field: 'phone' }, retryAfter: undefined };
  const table: [AppError, object][] = [
    [
      errors.invalidRequest('bad', { field: 'x' }),
      { status: 400, code: 'INVALID_REQUEST', message: 'bad', details: { field: 'x' }, retryAfter: undefined },
    ],
    [
      errors.wrongPhone(),
      { status: 400, code: 'WRONG_PHONE', message: 'phone is not a valid international phone number', ...phone },
    ],
    [
      errors.countryNotAllowed(),
      { status: 400, code: 'COUNTRY_NOT_ALLOWED', message: "SMS cannot be sent to this phone's country", ...phone },
    ],
    [
      errors.invalidCode(),
      { status: 400, code: 'INVALID_CODE', message: 'the code is wrong, expired or was never sent', ...none },
    ],
    [
      errors.notSigned(),
      {
        status: 401,
        code: 'NOT_SIGNED',
        message: 'sign in first: x-session-id is missing, unknown or expired',
        ...none,
      },
    ],
    [errors.notSigned('other'), { status: 401, code: 'NOT_SIGNED', message: 'other', ...none }],
    [
      errors.wrongCredentials(),
      { status: 401, code: 'WRONG_CREDENTIALS', message: 'wrong login or password', ...none },
    ],
    [
      errors.notOwnerOrAdmin(),
      { status: 403, code: 'NOT_OWNER_OR_ADMIN', message: 'only the account owner or an admin may do this', ...none },
    ],
    [errors.forbidden(), { status: 403, code: 'FORBIDDEN', message: 'only admins may do this', ...none }],
    [errors.forbidden('no'), { status: 403, code: 'FORBIDDEN', message: 'no', ...none }],
    [errors.notFound(), { status: 404, code: 'NOT_FOUND', message: 'not found', ...none }],
    [errors.notFound('no such account'), { status: 404, code: 'NOT_FOUND', message: 'no such account', ...none }],
    [
      errors.phoneInUse(),
      { status: 409, code: 'PHONE_IN_USE', message: 'this phone is already verified by another account', ...none },
    ],
    [errors.loginAlreadyUsed(), { status: 409, code: 'LOGIN_ALREADY_USED', message: 'this login is taken', ...none }],
    [
      errors.tooManyRequests(7),
      {
        status: 429,
        code: 'TOO_MANY_REQUESTS',
        message: 'too many requests; retry in 7 s',
        details: undefined,
        retryAfter: 7,
      },
    ],
    [
      errors.tooManyAttempts(9),
      {
        status: 429,
        code: 'TOO_MANY_ATTEMPTS',
        message: 'too many wrong codes for this phone; retry in 9 s',
        details: undefined,
        retryAfter: 9,
      },
    ],
    [
      errors.phoneTypeNotAllowed(),
      {
        status: 400,
        code: 'PHONE_TYPE_NOT_ALLOWED',
        message: 'SMS cannot be sent to this kind of number (landline, paid, shared or non-geographic line)',
        ...phone,
      },
    ],
    [
      errors.weakPassword(),
      {
        status: 400,
        code: 'WEAK_PASSWORD',
        message: 'this password is among the most commonly used; choose another',
        details: { field: 'password' },
        retryAfter: undefined,
      },
    ],
    [
      errors.unavailable(),
      { status: 503, code: 'UNAVAILABLE', message: 'the database is unavailable; try again shortly', ...none },
    ],
    [
      errors.invalidSignature(),
      {
        status: 401,
        code: 'INVALID_SIGNATURE',
        message: 'the webhook signature is missing, invalid, expired or replayed',
        ...none,
      },
    ],
  ];
  for (const [err, expected] of table) {
    t.ok(err instanceof AppError && err instanceof Error, err.code);
    t.equal(err.name, 'AppError');
    t.same(answer(err), expected, err.code);
  }
});

t.test('a final SMS text keeps its words and loses its digits', async (t) => {
  t.equal(redactBody('Your code is 012345, valid 10 min'), 'Your code is ••••••, valid •• min');
  t.equal(redactBody('no digits'), 'no digits');
});
