// A gateway of the test's own for the `http` provider: a real HTTP server that
// checks each request's Standard Webhooks signature with a verifier written
// here from the specification (standardwebhooks.com: node:crypto, not the
// `standardwebhooks` package the worker signs with), records it, and answers
// as the test says.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Teardown } from './base';

/** A Standard Webhooks secret for the http provider: `whsec_` and base64 of random-looking bytes. */
export const HTTP_PROVIDER_SECRET = `whsec_${Buffer.from('http-provider-test-secret-0123456789').toString('base64')}`;

/** The window the specification recommends for `webhook-timestamp`, either side of now. */
const TOLERANCE_S = 5 * 60;

/**
 * The specification's verification: HMAC-SHA256 keyed with the base64 bytes
 * after `whsec_`, over `${webhook-id}.${webhook-timestamp}.${raw body}`;
 * any of the space-separated `v1,<base64>` signatures may match; the
 * timestamp within five minutes. Returns why it fails, or null when it holds.
 */
export function checkStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: string): string | null {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return 'headers';
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_S) return 'timestamp';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  const match = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
  return match ? null : 'signature';
}

export interface GatewayRequest {
  at: number;
  headers: IncomingHttpHeaders;
  /** The JSON body as parsed. */
  body: { message_id: string; to: string; body: string; language: string };
  /** Null when the signature holds; otherwise why not. */
  signatureProblem: string | null;
}

export interface GatewayAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Answer only after this long (past the worker's timeout: the request was taken, the answer is lost). */
  delayMs?: number;
}

export interface HttpGateway {
  url: string;
  requests: GatewayRequest[];
  /** Requests answered 2xx, the ones the gateway took. */
  accepted: GatewayRequest[];
  /** Decides each answer; default 200 with a provider_message_id. */
  answer: (request: GatewayRequest) => GatewayAnswer;
}

/** Starts the gateway on a free loopback port; closed at teardown. */
export async function startHttpGateway(t: Teardown, secret = HTTP_PROVIDER_SECRET): Promise<HttpGateway> {
  const gateway: HttpGateway = {
    url: '',
    requests: [],
    accepted: [],
    answer: (request) => ({ status: 200, body: { provider_message_id: `gw-${request.body.message_id}` } }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const request: GatewayRequest = {
        at: Date.now(),
        headers: req.headers,
        body: JSON.parse(raw) as GatewayRequest['body'],
        signatureProblem: checkStandardWebhook(secret, req.headers, raw),
      };
      gateway.requests.push(request);
      const answer = gateway.answer(request);
      if (answer.status >= 200 && answer.status < 300) gateway.accepted.push(request);
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gateway.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return gateway;
}
