// Hostile input, property-based (fast-check), against every route the server
// has: random JSON, wrong types, huge strings, deep nesting, unicode and
// control characters, __proto__/constructor keys, numbers as phones, SQL and
// shell metacharacters, bad paths and query strings, bad headers. Whatever
// arrives: never a 5xx, an error always has the contract's body with the
// correlation id of x-request-id, and a rejected request changes no row.
// Oversized headers and broken HTTP need a real socket: the last test.
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { ErrorCode } from '@sms/core';
import fc from 'fast-check';
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import fp from 'fastify-plugin';
import t, { type Test } from 'tap';
import app from '../src/app';
import { buildTestApp, makeAdmin, newUser } from './helpers';
import { freshPhone, putPhone } from './sms-helpers';

/** Every error code but INTERNAL, which only a 5xx carries. */
const CODES = new Set<string>(Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL));
const ERROR_KEYS = new Set(['code', 'status', 'message', 'correlation_id', 'details']);
const FIELDS = ['phone', 'code', 'login', 'password', 'name', 'email', 'verified', 'id', 'user_id', 'admin'];
const RUNS = 60;

// ------------------------------------------------------------ arbitraries ----

const SQL = [
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
const SHELL = [
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
const WEIRD = [
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

const hostileString = fc.oneof(
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
const body: fc.Arbitrary<Body> = fc.oneof(
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
const headerValue = fc.oneof(
  fc.stringMatching(/^[\t\x20-\x7e\x80-\xff]{0,200}$/),
  fc.constantFrom(...SQL, '', ' ', '0'.repeat(32), 'f'.repeat(31), 'F'.repeat(32), 'ä'.repeat(32)),
  fc.integer({ min: 33, max: 8000 }).map((n) => 'a'.repeat(n)),
);

const contentType = fc.oneof(
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
const who = fc.constantFrom<Who>('none', 'owner', 'other', 'admin', 'admin', 'owner', 'hostile');

/** encodeURIComponent, with lone surrogates (which it refuses) replaced. */
const encode = (s: string) => encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'));

/** A path segment that is not a user id. */
const hostileSegment = fc.oneof(
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

const query = fc.oneof(
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

// ---------------------------------------------------------------- checks ----

/**
 * `ownErrors`: Bull Board's JSON API behind the admin check answers its own
 * UI in its own error format; there only "no 5xx, no stack trace" is asked.
 */
function assertAnswer(res: LightMyRequestResponse, what: string, ownErrors = false): void {
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
async function snapshot(server: FastifyInstance, exceptAttempts = false): Promise<string> {
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
async function holds(
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

// ----------------------------------------------------------------- setup ----

async function routesOf(config: Parameters<typeof app>[1]['config']) {
  const routes: { method: string; url: string }[] = [];
  const probe = Fastify({ logger: false });
  probe.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  await probe.register(fp(app), { config });
  await probe.close();
  return routes;
}

t.test('every route, hostile requests: never 5xx, always the error body, no row changed when rejected', async (t) => {
  const { app: server, config } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '10000000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '1000000',
  });
  const owner = await newUser(server);
  const other = await newUser(server);
  const admin = await newUser(server);
  await makeAdmin(server, admin.userId);
  await putPhone(server, owner.sessionId, owner.userId, { phone: freshPhone() });

  /** A new session for `userId` for one request (signout may end it), made before the snapshot. */
  const sessionFor = async (userId: string) => {
    const id = randomBytes(16).toString('hex');
    await server.prisma.session.create({
      data: {
        idHash: createHash('sha256').update(id).digest('hex'),
        userId,
        // A full TTL: younger than a minute, so using it does not slide its expiry (a write).
        expireTime: new Date(Date.now() + config.SESSION_TTL_SECONDS * 1000),
      },
    });
    return id;
  };

  const routes = await routesOf(config);
  t.ok(routes.length >= 15, `${routes.length} routes`);
  const counts = { requests: 0, rejected: 0, accepted: 0 };

  for (const route of routes) {
    const property = fc.asyncProperty(
      body,
      contentType,
      who,
      headerValue,
      fc.option(hostileSegment, { nil: undefined, freq: 3 }),
      query,
      fc.option(headerValue, { nil: undefined }),
      async (b, type, caller, hostileSession, segment, qs, requestId) => {
        const headers: Record<string, string> = {};
        if (caller === 'hostile') headers['x-session-id'] = hostileSession;
        else if (caller !== 'none') {
          const user = caller === 'owner' ? owner : caller === 'other' ? other : admin;
          headers['x-session-id'] = await sessionFor(user.userId);
        }
        if (requestId !== undefined) headers['x-request-id'] = requestId;
        if (b.kind !== 'none') headers['content-type'] = b.kind === 'raw' && type === 'application/json' ? type : type;
        const url =
          route.url
            .replace(':user_id', segment ?? owner.userId)
            .replace('*', segment ?? 'x')
            .replace(/:([a-zA-Z]+)/g, (_m, name: string) => segment ?? name) + qs;
        const request: InjectOptions = {
          method: route.method as InjectOptions['method'],
          url,
          headers,
          ...(b.kind !== 'none' && route.method !== 'GET' ? { payload: b.payload } : {}),
        };
        const before = await snapshot(server);
        const res = await server.inject(request);
        counts.requests++;
        if (res.statusCode >= 500) t.comment(res.body);
        const what = `${route.method} ${url.slice(0, 120)} (${b.kind} ${String(b.payload).slice(0, 80)})`;
        assertAnswer(res, what, caller === 'admin' && route.url.startsWith('/admin/queues/'));
        if (res.statusCode >= 400) {
          counts.rejected++;
          const after = await snapshot(server);
          if (after !== before) throw new Error(`${what}: rejected with ${res.statusCode} but rows changed`);
        } else counts.accepted++;
      },
    );
    // The service's own routes get the most runs; the dashboard's and the docs' many routes fewer.
    const runs = /^\/(admin\/queues|docs)\//.test(route.url) ? 10 : RUNS;
    await holds(t, property, runs, `${route.method} ${route.url}`);
  }
  t.comment(`${counts.requests} requests: ${counts.rejected} rejected, ${counts.accepted} accepted`);
  t.equal(({} as Record<string, unknown>).admin, undefined, 'Object.prototype untouched');
  t.equal(await server.prisma.account.count({ where: { admin: true } }), 1, 'no account became admin');
});

t.test('the SMS endpoints, hostile phones and codes in well-formed bodies', async (t) => {
  // Well-formed JSON with the right keys, so every value reaches the phone
  // parser, the code check and the database (not just the schema).
  const { app: server } = await buildTestApp(t, {
    IP_RATE_LIMIT_PER_MINUTE: '10000000',
    SMS_RESEND_COOLDOWN_SECONDS: '0',
    SMS_MAX_PER_PHONE_PER_HOUR: '1000000',
  });
  const owner = await newUser(server);
  const phone = freshPhone();
  await putPhone(server, owner.sessionId, owner.userId, { phone });
  const phoneLike = fc.oneof(
    hostileString,
    fc.stringMatching(/^\+[0-9]{1,20}$/),
    fc.tuple(fc.constantFrom(...SQL, ...SHELL, ...WEIRD), fc.constantFrom('', phone)).map(([a, b]) => b + a),
  );
  const codeLike = fc.oneof(hostileString, fc.stringMatching(/^[0-9]{1,16}$/));
  const requests = fc.oneof(
    phoneLike.map((p) => ({ method: 'POST' as const, url: '/api/v1/sms_settings/resend', payload: { phone: p } })),
    fc.tuple(phoneLike, codeLike).map(([p, c]) => ({
      method: 'POST' as const,
      url: '/api/v1/sms_settings/verify',
      payload: { phone: p, code: c },
    })),
    fc.tuple(phoneLike, fc.option(fc.boolean(), { nil: undefined })).map(([p, v]) => ({
      method: 'PUT' as const,
      url: `/api/v1/sms_settings/${owner.userId}`,
      headers: { 'x-session-id': owner.sessionId },
      payload: { phone: p, ...(v === undefined ? {} : { verified: v }) },
    })),
  );
  let wrongPhone = 0;
  await holds(
    t,
    fc.asyncProperty(requests, async (request) => {
      // A wrong code for the owner's pending phone must count an attempt: that is the brute-force guard.
      const isVerify = request.url.endsWith('/verify');
      const before = await snapshot(server, isVerify);
      const res = await server.inject(request);
      const what = `${request.method} ${request.url} ${JSON.stringify(request.payload).slice(0, 120)}`;
      assertAnswer(res, what);
      if (res.statusCode >= 400) {
        if (res.json<{ code: string }>().code === 'WRONG_PHONE') wrongPhone++;
        if ((await snapshot(server, isVerify)) !== before) throw new Error(`${what}: rejected but rows changed`);
      }
    }),
    600,
    'hostile phones and codes',
  );
  t.ok(wrongPhone > 50, `the phone parser saw many of them (${wrongPhone} WRONG_PHONE)`);
  const settings = await server.prisma.smsSettings.findUniqueOrThrow({ where: { userId: owner.userId } });
  t.equal(settings.verified, false, 'nobody verified the phone by fuzzing');
});

/** One raw HTTP exchange on a real socket; resolves with what the server wrote. */
function rawHttp(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(data) : reject(err)));
    socket.end(request);
  });
}

t.test('over a real socket: oversized and broken headers, broken HTTP', async (t) => {
  const { app: server } = await buildTestApp(t);
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as { port: number };
  const huge = 'a'.repeat(64 * 1024);
  const statuses: string[] = [];
  const cases: [string, string][] = [
    ['oversized x-session-id', `GET /api/v1/accounts/current HTTP/1.1\r\nHost: x\r\nx-session-id: ${huge}\r\n\r\n`],
    ['many headers', `GET /health/live HTTP/1.1\r\nHost: x\r\n${'x-a: b\r\n'.repeat(3000)}\r\n`],
    ['oversized URL', `GET /api/v1/sms_settings/${huge} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['control character in a header', 'GET /health/live HTTP/1.1\r\nHost: x\r\nx-session-id: a\u0001b\r\n\r\n'],
    ['header without a colon', 'GET /health/live HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n'],
    [
      'bad content-length',
      'POST /api/v1/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}',
    ],
    [
      'two content-lengths',
      'POST /api/v1/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    ],
    [
      'content-length beyond the body',
      'POST /api/v1/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{}',
    ],
    ['not HTTP', 'HELLO\r\n\r\n'],
    ['bad method', 'BREW /api/v1/signin HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['bad version', 'GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['a NUL in the path', 'GET /api/v1/sms_settings/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n'],
    [
      'chunked garbage',
      'POST /api/v1/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    ],
  ];
  for (const [name, request] of cases) {
    const answer = await rawHttp(port, request);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
    t.ok(status < 500, `${name}: no 5xx (${status || 'closed'})`);
    t.notMatch(answer, /\bat .+\.(ts|js):\d+/, `${name}: no stack trace`);
    if (status >= 400) {
      const [head = '', text = ''] = answer.split('\r\n\r\n');
      const requestId = /^x-request-id: (.+)$/im.exec(head)?.[1];
      const error = JSON.parse(text) as Record<string, unknown>;
      t.match(error, { code: 'INVALID_REQUEST', status, message: String }, `${name}: the contract's error body`);
      t.equal(error.correlation_id, requestId, `${name}: correlation id = x-request-id`);
      t.match(head, /^x-content-type-options: nosniff$/im, `${name}: nosniff`);
    }
    statuses.push(`${name}: ${status || 'closed'}`);
  }
  t.comment(statuses.join('; '));
  // The server still serves after all that.
  const res = await fetch(`http://127.0.0.1:${port}/health/live`);
  t.equal(res.status, 200, 'still serving');
});
