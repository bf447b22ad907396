import { loggerOptions } from '@sms/config';
import { createTestConfig, logSink } from '@sms/testing';
import t from 'tap';
import { buildApp } from '../src/app';
import { lastCode, putPhone, verify } from './sms-helpers';
import { newUser } from './helpers';

t.test('logs: JSON lines with the request id, never a password, session id or code', async (t) => {
  const config = await createTestConfig(t, {
    LOG_LEVEL: 'debug',
    IP_RATE_LIMIT_PER_MINUTE: '1000',
    EXPOSE_VERIFICATION_CODE: 'true',
  });
  const { stream, lines, text } = logSink();
  const app = await buildApp(config, { logger: { ...loggerOptions(config, 'api'), stream } });
  t.teardown(() => app.close());

  const password = 'very secret password';
  const user = await newUser(app, { password });
  const phone = '+380508308443';
  const put = await putPhone(app, user.sessionId, user.userId, { phone });
  const code = put.json().ver_code as string;
  t.equal(code, await lastCode(app, phone));
  await verify(app, phone, code);
  // A request that carries secrets in headers and an invalid body.
  await app.inject({
    method: 'POST',
    url: '/api/v1/sms_settings/verify',
    headers: { 'x-session-id': user.sessionId, authorization: 'Bearer topsecret' },
    payload: { phone, code, extra: password },
  });

  t.ok(lines.length > 10, `${lines.length} log lines`);
  const all = text();
  t.notOk(all.includes(password), 'no password');
  t.notOk(all.includes(user.sessionId), 'no session id');
  t.notOk(all.includes('topsecret'), 'no authorization header');
  t.notOk(all.includes(`"${code}"`), 'no verification code');

  const requestLines = lines.filter((l) => l.req || l.res || l.code);
  t.ok(requestLines.length > 0);
  for (const line of requestLines) t.type(line.reqId, 'string', `request line has reqId: ${line.msg}`);
  for (const line of lines) t.equal(line.name, 'api');
});
