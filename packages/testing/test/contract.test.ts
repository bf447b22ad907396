// The contract check fails on what the OpenAPI document does not describe: a
// stand-in server answers documented paths in undocumented ways on purpose.
import Fastify from 'fastify';
import t from 'tap';
import { call, checkedCall, contractChecker } from '../src/index';

t.test('an answer the document does not describe fails the check', async (t) => {
  const server = Fastify();
  const answers: Record<string, [number, Record<string, string>, unknown]> = {
    documented: [200, { 'x-request-id': 'r1' }, { status: 'ok' }],
    teapot: [418, { 'x-request-id': 'r2' }, { status: 'ok' }],
    'no-request-id': [200, {}, { status: 'ok' }],
    'wrong-body': [200, { 'x-request-id': 'r3' }, { status: 'fine' }],
    'error-without-code': [503, { 'x-request-id': 'r4' }, { error: 'Service Unavailable', statusCode: 503 }],
  };
  server.get('/health/live', async (request, reply) => {
    const [status, headers, body] = answers[String(request.headers['x-answer'])]!;
    return reply.status(status).headers(headers).send(body);
  });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => server.close());
  const checker = await contractChecker();
  const problems = async (kind: string) => {
    const answer = await call(url, 'GET', '/health/live', undefined, { 'x-answer': kind });
    return checker.problems({ method: 'GET', url: '/health/live', ...answer });
  };

  t.same(await problems('documented'), [], 'a documented answer passes');
  t.match(await problems('teapot'), [/GET \/health\/live → 418: status not documented/]);
  t.match(await problems('no-request-id'), [/required header x-request-id missing/]);
  t.match(await problems('wrong-body'), [/body\/status must be equal to one of the allowed values/]);
  t.match(await problems('error-without-code'), [/body must have required property 'code'/]);
  t.same(
    checker.problems({ method: 'DELETE', url: '/api/v1/signup', status: 204, headers: new Headers(), body: null }),
    ['DELETE /api/v1/signup → 204: no such operation in the document'],
  );
  await t.rejects(
    checkedCall(checker)(url, 'GET', '/health/live', undefined, { 'x-answer': 'teapot' }),
    /answer not described by the OpenAPI document/,
    'checkedCall throws',
  );
});
