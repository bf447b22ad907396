// What the hostile-input tests send, as fast-check arbitraries: random JSON,
// wrong types, huge strings, deep nesting, unicode and control characters,
// __proto__/constructor keys, numbers as phones, SQL and shell
// metacharacters, bad paths and query strings, bad headers.
import fc from 'fast-check';

const FIELDS = ['phone', 'code', 'login', 'password', 'name', 'email', 'verified', 'id', 'user_id', 'admin'];

export const SQL = [
  "' OR '1'='1",
  "'; DROP TABLE accounts; --",
  '" OR 1=1 --',
  "1' UNION SELECT password_hash FROM accounts --",
  "+380508308443' OR phone LIKE '%",
  '\\',
  "admin'/*",
  '%',
  '_',
  '0x31',
];
export const SHELL = [
  '$(reboot)',
  '`id`',
  '; rm -rf /',
  '| cat /etc/passwd',
  '&& curl x',
  '${IFS}',
  '$HOME',
  '\n\r\n',
  '../../etc/passwd',
];
export const WEIRD = [
  '',
  ' ',
  '\u0000',
  '\u0000+380508308443',
  '+380508308443\u0000',
  '\u202e+380508308443',
  '+３８０５０８３０８４４３', // full-width digits
  '+٣٨٠٥٠٨٣٠٨٤٤٣', // Arabic-Indic digits
  '\ud800',
  '\udfff\ud800',
  '𝟑𝟖𝟎',
  '\u200b+380508308443',
  '+380 50 830 84 43'.repeat(3),
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  '{"$gt":""}',
  '<script>alert(1)</script>',
  '%00',
  '%ff%fe',
];

export const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...SQL, ...SHELL, ...WEIRD),
  fc.integer({ min: 1, max: 40_000 }).map((n) => 'x'.repeat(n)),
  fc.stringMatching(/^\+?[0-9 ()\-.]{1,40}$/),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  fc.integer(),
  fc.double(),
  fc.constantFrom(380508308443, 3.80508308443e11, -1, 0, Number.MAX_SAFE_INTEGER, 1e308),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** A body made of the fields the API knows, with hostile values, sometimes with an extra key. */
const fieldBody = fc
  .tuple(
    fc.subarray(FIELDS, { minLength: 1 }),
    fc.array(hostileValue, { minLength: FIELDS.length, maxLength: FIELDS.length }),
    fc.option(fc.tuple(fc.string({ maxLength: 12 }), hostileValue), { nil: undefined }),
  )
  .map(([fields, values, extra]) => {
    const body: Record<string, unknown> = {};
    fields.forEach((f, i) => (body[f] = values[i]));
    if (extra) body[extra[0]] = extra[1];
    return JSON.stringify(body);
  });

/** Prototype-poisoning keys, written as raw JSON (an object literal would not keep them as own keys). */
const poisonBody = fc
  .tuple(
    fc.constantFrom('__proto__', 'constructor', 'prototype'),
    fc.constantFrom('{"admin":true}', '{"prototype":{"admin":true}}', '"x"', 'null', '[]'),
    fc.constantFrom('{"phone":"+380508308443",', '{"login":"hostile","password":"long enough pw",', '{'),
  )
  .map(([key, value, prefix]) => `${prefix}"${key}":${value}}`);

const deepBody = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":', '{"phone":'))
  .map(([depth, open]) => {
    const close = open === '[' ? ']' : '}';
    return open.repeat(depth) + (open === '[' ? '' : '1') + close.repeat(depth);
  });

const rawBody = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('{', '{"phone":', '{"phone":"+380508308443"', '[1,', '"\\u00"', '{"a":1}{"b":2}', '1e999999', '-'),
);

type Body = { kind: 'json' | 'raw' | 'none'; payload?: string };
export const body: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ kind: 'json' as const, payload: JSON.stringify(v) })),
  },
  { weight: 5, arbitrary: fieldBody.map((payload) => ({ kind: 'json' as const, payload })) },
  { weight: 2, arbitrary: poisonBody.map((payload) => ({ kind: 'json' as const, payload })) },
  { weight: 1, arbitrary: deepBody.map((payload) => ({ kind: 'json' as const, payload })) },
  { weight: 2, arbitrary: rawBody.map((payload) => ({ kind: 'raw' as const, payload })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
);

/** Header values a client can put on the wire (printable latin1, tabs). */
export const headerValue = fc.oneof(
  fc.stringMatching(/^[\t\x20-\x7e\x80-\xff]{0,200}$/),
  fc.constantFrom(...SQL, '', ' ', '0'.repeat(32), 'f'.repeat(31), 'F'.repeat(32), 'ä'.repeat(32)),
  fc.integer({ min: 33, max: 8000 }).map((n) => 'a'.repeat(n)),
);

export const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json;;;',
    'APPLICATION/JSON',
    'application/jsonx',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'text/plain',
    'text/html',
    '*/*',
    '',
  ),
  headerValue,
);

type Who = 'none' | 'owner' | 'other' | 'admin' | 'hostile';
export const who = fc.constantFrom<Who>('none', 'owner', 'other', 'admin', 'admin', 'owner', 'hostile');

/** encodeURIComponent, with lone surrogates (which it refuses) replaced. */
const encode = (s: string) => encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'));

/** A path segment that is not a user id. */
export const hostileSegment = fc.oneof(
  hostileString.map((s) => encode(s.slice(0, 300))),
  fc.constantFrom(
    '%',
    '%zz',
    '%00',
    '%2e%2e',
    '..',
    '.',
    '%2F',
    'A'.repeat(32),
    'a'.repeat(33),
    'a'.repeat(31),
    '0x1',
    '-1',
  ),
);

export const query = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.tuple(fc.constantFrom('skip', 'take', 'user_id', 'id', '__proto__', 'admin'), hostileString), {
      maxLength: 4,
    })
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${encode(v.slice(0, 300))}`).join('&')}`),
  fc.constantFrom(
    '?take=1e9',
    '?skip=-1',
    '?take=NaN',
    '?take=1&take=2',
    '?skip[]=1',
    '?%zz',
    '?a=%',
    '?__proto__[admin]=1',
  ),
);
