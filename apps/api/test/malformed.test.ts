import t from 'tap';
import { body, buildTestApp, errorBody, newUser } from './helpers';

// Every malformed request gets the contract's error body with a 4xx: never a 500,
// never a stack trace, always the correlation id of the x-request-id header.
t.test('malformed requests', async (t) => {
  const { app } = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: '10000' });
  const user = await newUser(app);
  const auth = { 'x-session-id': user.sessionId };
  const json = { 'content-type': 'application/json' };

  const cases: {
    name: string;
    method: 'POST' | 'PUT' | 'GET';
    url: string;
    headers?: Record<string, string>;
    payload?: string;
    status: number;
    code: string;
    message?: RegExp;
  }[] = [
    {
      name: 'bad JSON',
      method: 'POST',
      url: '/api/v1/signin',
      headers: json,
      payload: '{"login":',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'empty JSON body',
      method: 'POST',
      url: '/api/v1/signin',
      headers: json,
      payload: '',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'JSON array',
      method: 'POST',
      url: '/api/v1/signin',
      headers: json,
      payload: '[]',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'JSON null',
      method: 'POST',
      url: '/api/v1/sms_settings/resend',
      headers: json,
      payload: 'null',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'missing field',
      method: 'POST',
      url: '/api/v1/signin',
      headers: json,
      payload: '{"login":"a"}',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'wrong type',
      method: 'POST',
      url: '/api/v1/signin',
      headers: json,
      payload: '{"login":1,"password":"x"}',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'number as phone',
      method: 'POST',
      url: '/api/v1/sms_settings/resend',
      headers: json,
      payload: '{"phone":380508308443}',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'unknown field',
      method: 'POST',
      url: '/api/v1/sms_settings/resend',
      headers: json,
      payload: '{"phone":"+380508308443","admin":true}',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: '__proto__ key',
      method: 'POST',
      url: '/api/v1/signup',
      headers: json,
      payload: '{"login":"proto","name":"x","password":"long enough","__proto__":{"admin":true}}',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'constructor.prototype key',
      method: 'POST',
      url: '/api/v1/signup',
      headers: json,
      payload: '{"login":"proto2","name":"x","password":"long enough","constructor":{"prototype":{"admin":true}}}',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'oversized body',
      method: 'POST',
      url: '/api/v1/sms_settings/resend',
      headers: json,
      payload: JSON.stringify({ phone: 'x'.repeat(20000) }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'text/plain body',
      method: 'POST',
      url: '/api/v1/sms_settings/verify',
      headers: { 'content-type': 'text/plain' },
      payload: 'phone=1',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: /content-type: application\/json/,
    },
    {
      name: 'form body',
      method: 'POST',
      url: '/api/v1/sms_settings/verify',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'phone=1',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: /content-type: application\/json/,
    },
    {
      name: 'bad user id in path',
      method: 'GET',
      url: '/api/v1/sms_settings/not-an-id',
      headers: auth,
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'SQL in path',
      method: 'GET',
      url: "/api/v1/sms_settings/1'%20OR%20'1'='1",
      headers: auth,
      status: 400,
      code: 'INVALID_REQUEST',
    },
    { name: 'unknown route', method: 'GET', url: '/api/v1/nothing', status: 404, code: 'NOT_FOUND' },
    { name: 'wrong method', method: 'GET', url: '/api/v1/signin', status: 404, code: 'NOT_FOUND' },
    {
      name: 'bad query type',
      method: 'GET',
      url: '/api/v1/accounts?take=lots',
      headers: auth,
      status: 403,
      code: 'FORBIDDEN',
    },
  ];

  for (const c of cases) {
    const res = await app.inject({ method: c.method, url: c.url, headers: c.headers, payload: c.payload });
    t.equal(res.statusCode, c.status, `${c.name}: status`);
    const b = body(res);
    t.equal(b.code, c.code, `${c.name}: code`);
    t.equal(b.status, c.status, `${c.name}: status in body`);
    t.match(b.message, c.message ?? /./, `${c.name}: message`);
    t.equal(b.correlation_id, res.headers['x-request-id'], `${c.name}: correlation id = x-request-id`);
    t.notMatch(res.body, /at .+\.(ts|js):\d+/, `${c.name}: no stack trace`);
  }

  t.equal(
    await app.prisma.account.count({ where: { login: { startsWith: 'proto' } } }),
    0,
    'no account created by poisoned bodies',
  );
  t.equal(({} as Record<string, unknown>).admin, undefined, 'Object.prototype untouched');
});

t.test('a sane caller request id is kept, an insane one replaced', async (t) => {
  const { app } = await buildTestApp(t);
  const kept = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'lb-1234' } });
  t.equal(kept.headers['x-request-id'], 'lb-1234');
  t.equal(body(kept).correlation_id, 'lb-1234');
  const replaced = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'x'.repeat(500) } });
  t.match(replaced.headers['x-request-id'], /^[0-9a-f-]{36}$/);
});

t.test('a bug answers 500 INTERNAL with no internals', async (t) => {
  const { app } = await buildTestApp(t);
  // Simulate a bug inside a service: the error handler must hide it.
  app.accounts.current = async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'secret')");
  };
  const user = await newUser(app);
  const res = await app.inject({
    method: 'GET',
    url: '/api/v1/accounts/current',
    headers: { 'x-session-id': user.sessionId },
  });
  t.equal(res.statusCode, 500);
  t.same(body(res), errorBody(res, 'INTERNAL', 500, 'internal error'), 'exactly this body, nothing more');
  t.notMatch(res.body, /secret|TypeError/);
});
