import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from './helpers';
import { later } from './later';
import { PUBLIC_URL, SIGNING_KEY, reportPath, signMessageBirdReport } from '@sms/testing';

const { app, config } = await buildTestApp(t, { PUBLIC_URL, MESSAGEBIRD_SIGNING_KEY: SIGNING_KEY });

async function sentMessage(api: FastifyInstance): Promise<string> {
  const id = randomBytes(16).toString('hex');
  await api.prisma.smsMessage.create({
    data: { id, recipient: '+380501234567', body: '[redacted]', status: 'sent', attempts: 1, sentTime: new Date() },
  });
  return id;
}

function report(path: string, token?: string) {
  return app.inject({
    method: 'GET',
    url: path,
    headers: token === undefined ? {} : { 'messagebird-signature-jwt': token },
  });
}

const signed = (path: string, extra: Partial<Parameters<typeof signMessageBirdReport>[0]> = {}) =>
  report(path, signMessageBirdReport({ key: SIGNING_KEY, url: PUBLIC_URL + path, ...extra }));

const row = (id: string) => app.prisma.smsMessage.findUniqueOrThrow({ where: { id } });

t.test('a signed report moves the message to delivered', async (t) => {
  const id = await sentMessage(app);
  const res = await signed(reportPath(id, 'delivered', '2026-11-30T10:00:05+00:00'));
  t.equal(res.statusCode, 200);
  t.same(res.json(), { result: 'applied' });
  const message = await row(id);
  t.equal(message.deliveryStatus, 'delivered');
  t.same(message.deliveryTime, new Date('2026-11-30T10:00:05Z'));
  t.equal(message.status, 'sent');
  t.match(
    await (
      await app.inject({ method: 'GET', url: '/metrics' })
    ).body,
    /sms_delivery_reports_total\{.*country="UA".*delivery_status="delivered".*\} 1/,
  );
});

t.test('forged, expired, replayed or unsigned reports answer 401 and change nothing', async (t) => {
  const id = await sentMessage(app);
  const path = reportPath(id, 'delivered', '2026-11-30T10:00:05+00:00');
  const cases: [string, () => Promise<{ statusCode: number; json: () => unknown }>][] = [
    ['no header', () => report(path)],
    ['wrong key', () => signed(path, { key: 'not-the-signing-key' })],
    ['another URL', () => signed(path, { url: `${PUBLIC_URL}${reportPath(id, 'expired', '2026-11-30T10:00:05Z')}` })],
    ['Node’s own URL, not PUBLIC_URL', () => signed(path, { url: `http://localhost:80${path}` })],
    ['expired', () => signed(path, { iat: Math.floor(Date.now() / 1000) - 600, ttl: 60 })],
    ['another issuer', () => signed(path, { issuer: 'Mallory' })],
    ['garbage', () => report(path, 'not.a.jwt')],
  ];
  for (const [what, send] of cases) {
    const res = await send();
    t.equal(res.statusCode, 401, what);
    t.match(res.json(), { code: 'INVALID_SIGNATURE', status: 401 }, what);
  }
  t.equal((await row(id)).deliveryStatus, null, 'nothing changed');

  const token = signMessageBirdReport({ key: SIGNING_KEY, url: PUBLIC_URL + path });
  t.equal((await report(path, token)).statusCode, 200, 'the first use of a token counts');
  const replay = await report(path, token);
  t.equal(replay.statusCode, 401, 'its replay is refused');
});

t.test('a replayed token changes nothing', async (t) => {
  const id = await sentMessage(app);
  const failed = reportPath(id, 'delivery_failed', '2026-11-30T10:00:00Z', '&statusErrorCode=104');
  const token = signMessageBirdReport({ key: SIGNING_KEY, url: PUBLIC_URL + failed });
  t.equal((await report(failed, token)).statusCode, 200);
  t.equal((await signed(reportPath(id, 'delivered', '2026-11-30T10:00:09Z'))).statusCode, 200);
  t.equal((await report(failed, token)).statusCode, 401);
  t.equal((await row(id)).deliveryStatus, 'delivered');
});

t.test('a report replayed later is refused as long as its token is valid', async (t) => {
  const id = await sentMessage(app);
  const path = reportPath(id, 'delivered', '2026-11-30T10:00:05+00:00');
  // Valid for ten minutes. Each replay has a twin signed at the same moment
  // with its own jti, which is accepted: the token's age alone refuses nothing,
  // so only the replay guard can refuse the replay.
  const iat = Math.floor(Date.now() / 1000);
  const sign = () => signMessageBirdReport({ key: SIGNING_KEY, url: PUBLIC_URL + path, iat, ttl: 600 });
  const token = sign();
  t.equal((await report(path, token)).statusCode, 200, 'the report as MessageBird sent it');
  for (const [seconds, when] of [
    [90, 'a minute and a half later'],
    [480, 'ten minutes after it was signed, less half a minute'],
  ] as const) {
    await later(t, config, seconds * 1000);
    t.equal((await report(path, token)).statusCode, 401, `its replay ${when}`);
    t.equal((await report(path, sign())).statusCode, 200, `its twin ${when}`);
  }
});

t.test('a clock a few seconds ahead is tolerated', async (t) => {
  const id = await sentMessage(app);
  const res = await signed(reportPath(id, 'delivered', '2026-11-30T10:00:00Z'), {
    iat: Math.floor(Date.now() / 1000) + 3,
  });
  t.equal(res.statusCode, 200);
});

t.test('an unknown reference answers 200 and changes nothing', async (t) => {
  for (const reference of [randomBytes(16).toString('hex'), 'not-one-of-ours']) {
    const res = await signed(reportPath(reference, 'delivered', '2026-11-30T10:00:00Z'));
    t.equal(res.statusCode, 200);
    t.same(res.json(), { result: 'unknown' });
  }
});

t.test('reports arriving out of order end in the newest state', async (t) => {
  const id = await sentMessage(app);
  // delivered at :05, then the older buffered (:02) and sent (:01) arrive late.
  for (const [status, at] of [
    ['delivered', '2026-11-30T10:00:05Z'],
    ['buffered', '2026-11-30T10:00:02Z'],
    ['sent', '2026-11-30T10:00:01Z'],
  ]) {
    t.equal((await signed(reportPath(id, status!, at!))).statusCode, 200);
  }
  t.equal((await row(id)).deliveryStatus, 'delivered');

  const other = await sentMessage(app);
  // expired (:09) arrives before the delivery_failed (:04) it superseded.
  await signed(reportPath(other, 'expired', '2026-11-30T10:00:09Z'));
  const late = await signed(reportPath(other, 'delivery_failed', '2026-11-30T10:00:04Z', '&statusErrorCode=5'));
  t.same(late.json(), { result: 'stale' });
  t.equal((await row(other)).deliveryStatus, 'expired');

  const third = await sentMessage(app);
  // A late interim report never undoes delivered, even when it claims to be newer.
  await signed(reportPath(third, 'delivered', '2026-11-30T10:00:05Z'));
  await signed(reportPath(third, 'buffered', '2026-11-30T10:00:30Z'));
  const message = await row(third);
  t.equal(message.deliveryStatus, 'delivered');
  t.same(message.deliveryTime, new Date('2026-11-30T10:00:05Z'));
});

t.test('a failure records its error code', async (t) => {
  const id = await sentMessage(app);
  await signed(reportPath(id, 'delivery_failed', '2026-11-30T10:00:04Z', '&statusErrorCode=104'));
  const message = await row(id);
  t.equal(message.deliveryStatus, 'delivery_failed');
  t.match(message.deliveryError, /error code 104/);
});
