// A message followed end to end by an operator through GET /api/v1/sms_messages:
// queued (no worker yet) → sent (the log transport) → delivered (a report
// signed here with the provider's documented algorithm, not the API's code:
// MessageBird's JWT, or Bird's Standard Webhooks signature).
// The API runs in this process (a second process boot takes over 30 s on a
// loaded machine); the worker is the real process.
import { buildApp } from '../../apps/api/src/app';
import {
  BIRD_SIGNING_KEY,
  birdSmsEvent,
  call,
  createTestConfig,
  PUBLIC_URL,
  reportPath,
  session,
  signBirdWebhook,
  signMessageBirdReport,
  SIGNING_KEY,
  startWorker,
  waitFor,
  workerStarted,
} from '@sms/testing';
import t from 'tap';

type Report = (url: string, messageId: string) => ReturnType<typeof call>;

const providers: [string, Report][] = [
  [
    'MessageBird’s signed report',
    (url, messageId) => {
      const path = reportPath(messageId, 'delivered', new Date().toISOString());
      const token = signMessageBirdReport({ key: SIGNING_KEY, url: PUBLIC_URL + path });
      return call(url, 'GET', path, undefined, { 'messagebird-signature-jwt': token });
    },
  ],
  [
    'Bird’s signed webhook',
    (url, messageId) => {
      const event = birdSmsEvent('sms.delivered', new Date().toISOString(), messageId);
      // `call` sends JSON.stringify(event): the very bytes signed here.
      return call(url, 'POST', '/api/v1/webhooks/bird', event, signBirdWebhook({ body: JSON.stringify(event) }));
    },
  ],
];

for (const [provider, report] of providers)
  t.test(`queued → sent → delivered by ${provider}, as an operator sees it`, async (t) => {
    const admin = { login: `ops${process.pid}`, password: 'correct horse battery' };
    const config = await createTestConfig(t, {
      PUBLIC_URL,
      MESSAGEBIRD_SIGNING_KEY: SIGNING_KEY,
      BIRD_SIGNING_KEY,
      ADMIN_LOGIN: admin.login,
      ADMIN_PASSWORD: admin.password,
    });
    const api = await buildApp(config, { logger: false });
    t.teardown(() => api.close());
    const url = await api.listen({ port: 0, host: '127.0.0.1' });
    await api.accounts.ensureAdmin(admin.login, admin.password);
    const signin = await call(url, 'POST', '/api/v1/signin', admin);
    const ops = session(signin.body!.id as string);
    const userId = signin.body!.user_id as string;

    const phone = `+38050${String((process.pid * 7) % 10_000_000).padStart(7, '0')}`;
    t.equal((await call(url, 'PUT', `/api/v1/sms_settings/${userId}`, { phone }, ops)).status, 200);
    const messages = async () => {
      const res = await call(url, 'GET', `/api/v1/sms_messages?user_id=${userId}`, undefined, ops);
      return (res.body!.data as Record<string, unknown>[])[0]!;
    };
    const queued = await messages();
    t.match(queued, { status: 'queued', recipient: phone, delivery_status: null });
    t.notOk('body' in queued, 'the body is never shown');

    const worker = startWorker(t, config);
    await workerStarted(worker);
    const sent = await waitFor(
      async () => {
        const m = await messages();
        return m.status === 'sent' ? m : null;
      },
      20_000,
      'the message to be sent',
    );
    t.match(sent, { attempts: 1, delivery_status: null, sent_time: String });

    const answer = await report(url, sent.id as string);
    t.same([answer.status, answer.body], [200, { result: 'applied' }]);
    t.match(await messages(), { status: 'sent', delivery_status: 'delivered', delivery_time: String });
    const delivered = await call(url, 'GET', '/api/v1/sms_messages?delivery_status=delivered', undefined, ops);
    t.equal(delivered.body!.total, 1);
  });
