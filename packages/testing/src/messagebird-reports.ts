// Delivery reports as MessageBird sends them, signed here independently of the API's own verifier.
import { createHash, createHmac, randomUUID } from 'node:crypto';

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export interface SignOptions {
  key: string;
  /** The full URL MessageBird called, scheme, host and query included. */
  url: string;
  /** Seconds since the epoch; default now. */
  iat?: number;
  ttl?: number;
  jti?: string;
  issuer?: string;
}

/**
 * A MessageBird-Signature-JWT built as MessageBird documents it, with
 * node:crypto only (not with the code under test): HS256 over
 * base64url(header).base64url(claims), `url_hash` = SHA-256 hex of the URL.
 */
export function signMessageBirdReport(options: SignOptions): string {
  const iat = options.iat ?? Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = b64url(
    JSON.stringify({
      iss: options.issuer ?? 'MessageBird',
      iat,
      nbf: iat,
      exp: iat + (options.ttl ?? 60),
      jti: options.jti ?? randomUUID(),
      url_hash: createHash('sha256').update(options.url).digest('hex'),
    }),
  );
  const signature = createHmac('sha256', options.key).update(`${header}.${claims}`).digest('base64url');
  return `${header}.${claims}.${signature}`;
}

export const PUBLIC_URL = 'https://sms.example.test';
export const SIGNING_KEY = 'test-signing-key-of-the-messagebird-dashboard';

/** The query string of a report for `reference`, as MessageBird sends it. */
export function reportPath(reference: string, status: string, statusDatetime: string, extra = ''): string {
  const query = new URLSearchParams({
    id: 'e8077d803532c0b5937c639b60216938',
    reference,
    recipient: '380501234567',
    status,
    statusDatetime,
  });
  return `/api/v1/webhooks/messagebird?${query.toString()}${extra}`;
}
