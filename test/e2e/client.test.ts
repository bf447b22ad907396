// The user flow of docs/api.md ("The flow") through the typed client (packages/client), against
// the real API and worker, with every answer checked against the OpenAPI
// document: signup → signin → PUT phone → the code from the worker's SMS log
// line → verify → GET. No casts: the types come from the document.
import { createClient } from '@sms/client';
import { contractChecker, createTestConfig, startApi, startWorker, workerStarted } from '@sms/testing';
import t from 'tap';

t.test('signup → signin → PUT → SMS → verify → GET through @sms/client', async (t) => {
  const config = await createTestConfig(t);
  // One after the other: two processes compiling TypeScript at once start slowly on a busy machine.
  const { proc: api, url } = await startApi(t, config);
  const worker = startWorker(t, config);
  await workerStarted(worker);
  const checker = await contractChecker();
  const client = createClient({ baseUrl: url });
  let checked = 0;
  client.use({
    async onResponse({ request, response }) {
      const text = await response.clone().text();
      const { pathname, search } = new URL(request.url);
      checker.check({
        method: request.method,
        url: pathname + search,
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : null,
      });
      checked++;
      return response;
    },
  });

  const login = `client${process.pid}`;
  const password = 'correct horse battery';
  const signup = await client.POST('/api/v1/signup', { body: { login, name: 'Client', password } });
  t.equal(signup.data?.login, login, 'signed up');
  const again = await client.POST('/api/v1/signup', { body: { login, name: 'Client', password } });
  t.equal(again.error?.code, 'LOGIN_ALREADY_USED', 'the error body is typed');

  const signin = await client.POST('/api/v1/signin', { body: { login, password } });
  if (!signin.data) throw new Error(`signin: ${JSON.stringify(signin.error)}`);
  t.equal(client.session, signin.data.id, 'the client keeps the session');
  const userId = signin.data.user_id;
  const path = { user_id: userId };

  const phone = `+38063${String(process.pid % 10_000_000).padStart(7, '0')}`;
  const put = await client.PUT('/api/v1/sms_settings/{user_id}', { params: { path }, body: { phone } });
  t.same(put.data && { phone: put.data.phone, ver_code: put.data.ver_code }, { phone, ver_code: null });

  const line = await worker.waitForLine((l) => l.to === phone, 20_000, `SMS to ${phone}`);
  const code = /(\d{6})/.exec(String(line.body))?.[1] ?? '';
  const wrong = await client.POST('/api/v1/sms_settings/verify', {
    body: { phone, code: code === '000000' ? '111111' : '000000' },
  });
  t.equal(wrong.error?.code, 'INVALID_CODE');
  const verify = await client.POST('/api/v1/sms_settings/verify', { body: { phone, code } });
  t.equal(verify.response.status, 204, 'verified');

  const settings = await client.GET('/api/v1/sms_settings/{user_id}', { params: { path } });
  t.same(settings.data, { phone, verified: true, id: userId, language: null });
  const current = await client.GET('/api/v1/accounts/current');
  t.equal(current.data?.id, userId);
  // skip and take are optional: the call compiles without them (and a non-admin is refused).
  const list = await client.GET('/api/v1/accounts');
  t.equal(list.error?.code, 'FORBIDDEN');

  const signout = await client.POST('/api/v1/signout');
  t.equal(signout.response.status, 204);
  t.equal(client.session, null, 'signout forgets the session');
  const after = await client.GET('/api/v1/accounts/current');
  t.equal(after.error?.code, 'NOT_SIGNED');
  t.equal(after.response.headers.get('x-request-id'), after.error?.correlation_id);

  t.equal(checked, 11, 'every answer was checked against the document');
  t.same(await api.stop('SIGTERM'), { code: 0, signal: null });
  t.same(await worker.stop('SIGTERM'), { code: 0, signal: null });
});
