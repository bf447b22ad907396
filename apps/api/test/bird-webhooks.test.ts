// Bird's status webhooks (POST /api/v1/webhooks/bird) against the real MariaDB
// and Redis, each delivery signed here with the Standard Webhooks algorithm
// (@sms/testing, node:crypto), not with the code under test.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { BIRD_SIGNING_KEY, birdSmsEvent, signBirdWebhook } from '@sms/testing';
import { buildTestApp, errorBody } from './helpers';
import { later } from './later';

const { app, config } = await buildTestApp(t, { BIRD_SIGNING_KEY });
const URL = '/api/v1/webhooks/bird';
const REFUSED = 'the webhook signature is missing, invalid, expired or replayed';

async function sentMessage(providerMessageId: string | null = null): Promise<string> {
  const id = randomBytes(16).toString('hex');
  await app.prisma.smsMessage.create({
    data: {
      id,
      recipient: '+380501234567',
      body: '[redacted]',
      status: 'sent',
      attempts: 1,
      sentTime: new Date(),
      providerMessageId,
    },
  });
  return id;
}

const post = (body: string, headers: Record<string, string>) =>
  app.inject({ method: 'POST', url: URL, payload: body, headers });

/** Sends `event` signed as Bird would; `sign` changes what is signed or how. */
function deliver(event: unknown, sign: Partial<Parameters<typeof signBirdWebhook>[0]> = {}) {
  const body = JSON.stringify(event);
  return post(body, signBirdWebhook({ body, ...sign }));
}

const row = (id: string) => app.prisma.smsMessage.findUniqueOrThrow({ where: { id } });
const now = () => Math.floor(Date.now() / 1000);

t.test('a signed sms.delivered moves the message to delivered', async (t) => {
  const id = await sentMessage();
  const res = await deliver(birdSmsEvent('sms.delivered', '2026-11-30T10:00:05Z', id, { carrier: 'Kyivstar' }));
  t.equal(res.statusCode, 200);
  t.same(res.json(), { result: 'applied' });
  const message = await row(id);
  t.equal(message.deliveryStatus, 'delivered');
  t.same(message.deliveryTime, new Date('2026-11-30T10:00:05Z'));
  t.match(message.providerMessageId, /^sms_[0-9a-f-]{36}$/, "Bird's id is kept");
  t.equal(message.status, 'sent');
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /sms_delivery_reports_total\{.*country="UA".*delivery_status="delivered".*\} 1/);
});

t.test('forged, expired, replayed or unsigned deliveries answer 401 and change nothing', async (t) => {
  const id = await sentMessage();
  const event = birdSmsEvent('sms.failed', '2026-11-30T10:00:05Z', id, {
    error: { code: 'unreachable', description: 'The handset is off', occurred_at: '2026-11-30T10:00:05Z' },
  });
  const body = JSON.stringify(event);
  const signed = signBirdWebhook({ body });
  const otherKey = `whsec_${Buffer.from('not-the-subscription-secret-000').toString('base64')}`;
  const cases: [string, () => ReturnType<typeof post>][] = [
    ['no signature headers', () => post(body, { 'content-type': 'application/json' })],
    ['no webhook-id', () => post(body, { ...signed, 'webhook-id': '' })],
    ['another secret', () => deliver(event, { secret: otherKey })],
    ['the body changed after signing', () => post(body.replace('sms.failed', 'sms.delivered'), signed)],
    ['signed for another webhook-id', () => post(body, { ...signed, 'webhook-id': 'msg_other' })],
    ['signed six minutes ago', () => deliver(event, { timestamp: now() - 360 })],
    ['signed six minutes ahead', () => deliver(event, { timestamp: now() + 360 })],
    ['a timestamp that is no number', () => post(body, { ...signed, 'webhook-timestamp': 'yesterday' })],
    [
      'a signature of another version',
      () => post(body, { ...signed, 'webhook-signature': signed['webhook-signature']!.replace('v1,', 'v2,') }),
    ],
    ['garbage', () => post(body, { ...signed, 'webhook-signature': 'v1,bm90IGEgc2lnbmF0dXJl' })],
    ['not JSON, and forged', () => post('{"type": ', { ...signed })],
  ];
  for (const [what, send] of cases) {
    const res = await send();
    t.equal(res.statusCode, 401, what);
    t.same(res.json(), errorBody(res, 'INVALID_SIGNATURE', 401, REFUSED), what);
  }
  t.equal((await row(id)).deliveryStatus, null, 'nothing changed');

  t.equal((await post(body, signed)).statusCode, 200, 'the first use of a delivery counts');
  t.equal((await row(id)).deliveryStatus, 'delivery_failed');
  const replay = await post(body, signed);
  t.equal(replay.statusCode, 401, 'its replay is refused');
  t.same(replay.json(), errorBody(replay, 'INVALID_SIGNATURE', 401, REFUSED));
});

t.test('a replayed delivery changes nothing, even after a newer report', async (t) => {
  const id = await sentMessage();
  const failed = JSON.stringify(birdSmsEvent('sms.failed', '2026-11-30T10:00:00Z', id));
  const headers = signBirdWebhook({ body: failed });
  t.equal((await post(failed, headers)).statusCode, 200);
  t.equal((await deliver(birdSmsEvent('sms.delivered', '2026-11-30T10:00:09Z', id))).statusCode, 200);
  t.equal((await post(failed, headers)).statusCode, 401);
  t.equal((await row(id)).deliveryStatus, 'delivered');
});

t.test('a delivery replayed later is refused as long as its timestamp is accepted', async (t) => {
  const id = await sentMessage();
  const body = JSON.stringify(birdSmsEvent('sms.delivered', '2026-11-30T10:00:05Z', id));
  // Accepted for five minutes. Each replay has a twin signed at the same
  // moment with its own webhook-id, which is accepted: the timestamp's age
  // alone refuses nothing, so only the replay guard can refuse the replay.
  const timestamp = now();
  const headers = signBirdWebhook({ body, timestamp });
  t.equal((await post(body, headers)).statusCode, 200, 'the delivery as Bird sent it');
  for (const [seconds, when] of [
    [90, 'a minute and a half later'],
    [180, 'five minutes after it was signed, less half a minute'],
  ] as const) {
    await later(t, config, seconds * 1000);
    t.equal((await post(body, headers)).statusCode, 401, `its replay ${when}`);
    t.equal((await post(body, signBirdWebhook({ body, timestamp }))).statusCode, 200, `its twin ${when}`);
  }
});

t.test('one valid signature among several (a secret being rotated) is enough', async (t) => {
  const id = await sentMessage();
  const body = JSON.stringify(birdSmsEvent('sms.delivered', '2026-11-30T10:00:00Z', id));
  const headers = signBirdWebhook({ body });
  const res = await post(body, {
    ...headers,
    'webhook-signature': `v1,b2xkLXNlY3JldA== ${headers['webhook-signature']}`,
  });
  t.equal(res.statusCode, 200);
  t.equal((await row(id)).deliveryStatus, 'delivered');
});

t.test('a charset parameter on the content type changes nothing', async (t) => {
  const id = await sentMessage();
  const body = JSON.stringify(birdSmsEvent('sms.delivered', '2026-11-30T10:00:00Z', id));
  const res = await post(body, { ...signBirdWebhook({ body }), 'content-type': 'application/json; charset=utf-8' });
  t.same([res.statusCode, res.json()], [200, { result: 'applied' }]);
});

t.test('a signed body of the wrong shape is 400; the signature is checked first', async (t) => {
  const body = JSON.stringify({ type: 'sms.delivered' });
  const res = await post(body, signBirdWebhook({ body }));
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'INVALID_REQUEST', status: 400, details: { part: 'body' } });
});

t.test('an unknown message, or an event about none of ours, answers 200 and changes nothing', async (t) => {
  const events = [
    birdSmsEvent('sms.delivered', '2026-11-30T10:00:00Z', randomBytes(16).toString('hex')),
    birdSmsEvent('sms.delivered', '2026-11-30T10:00:00Z', 'not-one-of-ours', { sms_id: 'sms_nobody' }),
    birdSmsEvent('sms.delivered', '2026-11-30T10:00:00Z', null, { sms_id: 'sms_nobody' }),
    birdSmsEvent('sms.received', '2026-11-30T10:00:00Z', null),
    { type: 'email.delivered', timestamp: '2026-11-30T10:00:00Z', data: { email_id: 'em_1' } },
  ];
  for (const event of events) {
    const res = await deliver(event);
    t.equal(res.statusCode, 200, JSON.stringify(event));
    t.same(res.json(), { result: 'unknown' });
  }
});

t.test('without our id in the metadata, Bird’s sms_id finds the message', async (t) => {
  const id = await sentMessage('sms_found_by_provider_id');
  const res = await deliver(
    birdSmsEvent('sms.delivered', '2026-11-30T10:00:00Z', null, { sms_id: 'sms_found_by_provider_id' }),
  );
  t.same(res.json(), { result: 'applied' });
  t.equal((await row(id)).deliveryStatus, 'delivered');
});

t.test('deliveries arriving out of order end in the newest state', async (t) => {
  const id = await sentMessage();
  // delivered at :05, then the older sent (:02) and accepted (:01) arrive late.
  for (const [type, at] of [
    ['sms.delivered', '2026-11-30T10:00:05Z'],
    ['sms.sent', '2026-11-30T10:00:02Z'],
    ['sms.accepted', '2026-11-30T10:00:01Z'],
  ] as const) {
    t.equal((await deliver(birdSmsEvent(type, at, id))).statusCode, 200);
  }
  t.equal((await row(id)).deliveryStatus, 'delivered');

  const other = await sentMessage();
  // expired (:09) arrives before the failure (:04) it superseded.
  await deliver(birdSmsEvent('sms.expired', '2026-11-30T10:00:09Z', other));
  const late = await deliver(birdSmsEvent('sms.failed', '2026-11-30T10:00:04Z', other));
  t.same(late.json(), { result: 'stale' });
  t.equal((await row(other)).deliveryStatus, 'expired');

  const third = await sentMessage();
  // A later non-permanent failure never undoes delivered, even when it claims to be newer.
  await deliver(birdSmsEvent('sms.delivered', '2026-11-30T10:00:05Z', third));
  await deliver(birdSmsEvent('sms.undelivered', '2026-11-30T10:00:30Z', third));
  const message = await row(third);
  t.equal(message.deliveryStatus, 'delivered');
  t.same(message.deliveryTime, new Date('2026-11-30T10:00:05Z'));

  const fourth = await sentMessage();
  // A non-permanent failure is interim: the carrier's later delivery still counts.
  await deliver(birdSmsEvent('sms.undelivered', '2026-11-30T10:00:05Z', fourth));
  t.equal((await row(fourth)).deliveryStatus, null);
  await deliver(birdSmsEvent('sms.delivered', '2026-11-30T10:00:40Z', fourth));
  t.equal((await row(fourth)).deliveryStatus, 'delivered');
});

t.test('failures and rejections record Bird’s reason', async (t) => {
  const failed = await sentMessage();
  await deliver(
    birdSmsEvent('sms.failed', '2026-11-30T10:00:04Z', failed, {
      error: {
        code: 'invalid_destination',
        description: 'The number is unassigned',
        carrier_error_code: '1',
        occurred_at: '2026-11-30T10:00:04Z',
      },
    }),
  );
  const f = await row(failed);
  t.equal(f.deliveryStatus, 'delivery_failed');
  t.equal(f.deliveryError, 'Bird sms.failed: invalid_destination (The number is unassigned), carrier code 1');

  const rejected = await sentMessage();
  await deliver(
    birdSmsEvent('sms.rejected', '2026-11-30T10:00:04Z', rejected, {
      error: {
        code: 'recipient_opted_out',
        description: 'Відписався — on a suppression list',
        carrier_error_code: null,
      },
    }),
  );
  const r = await row(rejected);
  t.equal(r.deliveryStatus, 'delivery_failed', 'refused before the carrier: never delivered');
  t.equal(
    r.deliveryError,
    'Bird sms.rejected: recipient_opted_out (Відписався — on a suppression list)',
    'UTF-8 signed and kept as sent',
  );
});

t.test('without BIRD_SIGNING_KEY every delivery is refused', async (t) => {
  const { app: unkeyed } = await buildTestApp(t);
  const body = JSON.stringify(birdSmsEvent('sms.delivered', '2026-11-30T10:00:00Z', null));
  const res = await unkeyed.inject({ method: 'POST', url: URL, payload: body, headers: signBirdWebhook({ body }) });
  t.equal(res.statusCode, 401);
  t.same(res.json(), errorBody(res, 'INVALID_SIGNATURE', 401, REFUSED));
});
