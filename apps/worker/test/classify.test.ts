// The retry policy's table (docs/reliability.md): HTTP status first, MessageBird's code second.
import t from 'tap';
import { parseRetryAfter } from '../src/sms/classify';
import { classifyProviderFailure, type ProviderFailure } from '../src/sms/messagebird-errors';

const err = (code: number) => [{ code, description: `d${code}`, parameter: 'p' }];

const cases: [string, ProviderFailure, string, string, boolean?][] = [
  ['401 code 2', { statusCode: 401, errors: err(2), message: 'x' }, 'operator', 'bad_key'],
  ['401 without a body', { statusCode: 401, message: 'response failed' }, 'operator', 'bad_key'],
  ['403 code 2', { statusCode: 403, errors: err(2), message: 'x' }, 'operator', 'bad_key'],
  ['402 code 25', { statusCode: 402, errors: err(25), message: 'x' }, 'operator', 'no_balance'],
  ['422 code 25', { statusCode: 422, errors: err(25), message: 'x' }, 'operator', 'no_balance'],
  ['422 code 9', { statusCode: 422, errors: err(9), message: 'x' }, 'permanent', 'code_9'],
  ['422 code 10', { statusCode: 422, errors: err(10), message: 'x' }, 'permanent', 'code_10'],
  ['422 code 21', { statusCode: 422, errors: err(21), message: 'x' }, 'permanent', 'code_21'],
  ['404 code 20', { statusCode: 404, errors: err(20), message: 'x' }, 'permanent', 'code_20'],
  ['404 code 98', { statusCode: 404, errors: err(98), message: 'x' }, 'permanent', 'code_98'],
  ['400 with an unknown code', { statusCode: 400, errors: err(7), message: 'x' }, 'permanent', 'http_400'],
  ['405 without a body', { statusCode: 405, message: 'response failed' }, 'permanent', 'http_405'],
  ['429 with errors', { statusCode: 429, errors: err(429), message: 'x' }, 'rate_limited', 'rate_limited'],
  ['429 with code 9 (status first)', { statusCode: 429, errors: err(9), message: 'x' }, 'rate_limited', 'rate_limited'],
  ['500 with code 99', { statusCode: 500, errors: err(99), message: 'x' }, 'retry', 'http_500'],
  ['503 with code 2 (status first)', { statusCode: 503, errors: err(2), message: 'x' }, 'retry', 'http_503'],
  ['code 99 on a 200', { statusCode: 200, errors: err(99), message: 'x' }, 'retry', 'code_99'],
  ['code 9 on a 200', { statusCode: 200, errors: err(9), message: 'x' }, 'permanent', 'code_9'],
  ['code 2 on a 200', { statusCode: 200, errors: err(2), message: 'x' }, 'operator', 'bad_key'],
  [
    'timeout',
    { networkCode: 'ECONNRESET', timedOut: true, message: 'request failed: socket hang up' },
    'retry',
    'timeout',
    true,
  ],
  [
    'reset',
    { networkCode: 'ECONNRESET', message: 'request failed: socket hang up' },
    'retry',
    'connection_reset',
    true,
  ],
  [
    'refused',
    { networkCode: 'ECONNREFUSED', message: 'request failed: connect ECONNREFUSED' },
    'retry',
    'network',
    false,
  ],
  ['DNS', { networkCode: 'ENOTFOUND', message: 'request failed: getaddrinfo ENOTFOUND' }, 'retry', 'network', false],
  ['request closed mid-response', { message: 'request closed' }, 'retry', 'bad_response', true],
];

for (const [name, failure, kind, reason, ambiguous] of cases) {
  t.test(name, async (t) => {
    const error = classifyProviderFailure(failure);
    t.equal(error.kind, kind);
    t.equal(error.reason, reason);
    if (ambiguous !== undefined) t.equal(error.ambiguous, ambiguous, ambiguous ? 'ambiguous' : 'not ambiguous');
  });
}

t.test('the message carries status, code, description and parameter', async (t) => {
  const error = classifyProviderFailure({
    statusCode: 422,
    errors: [{ code: 9, description: 'no (correct) recipients found', parameter: 'recipients' }],
    message: 'api error(s)',
  });
  t.equal(error.message, 'MessageBird: HTTP 422, code 9: no (correct) recipients found (parameter: recipients)');
  t.equal(error.statusCode, 422);
  t.equal(error.providerCode, 9);
});

t.test('Retry-After in seconds or as a date', async (t) => {
  t.equal(parseRetryAfter('3'), 3000);
  t.equal(parseRetryAfter(['2']), 2000);
  t.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
  t.equal(parseRetryAfter(undefined), undefined);
  t.equal(parseRetryAfter('soon'), undefined);
});
