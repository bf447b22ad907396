import { createHash, createSecretKey, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';

export const SIGNATURE_HEADER = 'messagebird-signature-jwt';

/** Seconds of clock difference accepted on nbf/exp, as MessageBird's own SDK does. */
const CLOCK_TOLERANCE_S = 5;

export interface VerifiedClaims {
  jti: string;
  /** When the token expires (seconds since the epoch): how long its jti must be remembered. */
  exp: number;
}

const sha256 = (data: string) => createHash('sha256').update(data).digest();

function sameHash(claim: unknown, expected: Buffer): boolean {
  if (typeof claim !== 'string' || !/^[0-9a-f]{64}$/i.test(claim)) return false;
  return timingSafeEqual(Buffer.from(claim, 'hex'), expected);
}

/**
 * Checks a `MessageBird-Signature-JWT` the way MessageBird's SDK does
 * (its lib/webhook-signature-jwt.js): an HMAC JWT from issuer `MessageBird`
 * whose `url_hash` is the SHA-256 of the full URL MessageBird called and whose
 * `payload_hash`, if any, is that of the body. Unlike the SDK, `exp` and `jti`
 * are required: a report without them could be replayed forever. Returns
 * null for any failure; the reason goes to `onReject` for the log.
 */
export async function verifyMessageBirdSignature(
  token: string | undefined,
  url: string,
  body: string,
  signingKey: string,
  onReject: (reason: string) => void,
): Promise<VerifiedClaims | null> {
  if (!token) {
    onReject('no MessageBird-Signature-JWT header');
    return null;
  }
  try {
    const { payload } = await jwtVerify(token, createSecretKey(Buffer.from(signingKey, 'utf8')), {
      issuer: 'MessageBird',
      algorithms: ['HS256', 'HS384', 'HS512'],
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp', 'jti'],
    });
    if (!sameHash(payload.url_hash, sha256(url))) {
      onReject('url_hash does not match the URL (is PUBLIC_URL the address MessageBird calls?)');
      return null;
    }
    if (payload.payload_hash !== undefined ? !sameHash(payload.payload_hash, sha256(body)) : body !== '') {
      onReject('payload_hash does not match the body');
      return null;
    }
    if (typeof payload.jti !== 'string' || payload.jti === '' || typeof payload.exp !== 'number') {
      onReject('jti or exp malformed');
      return null;
    }
    return { jti: payload.jti, exp: payload.exp };
  } catch (err) {
    onReject(err instanceof joseErrors.JOSEError ? `${err.code}: ${err.message}` : 'malformed token');
    return null;
  }
}
