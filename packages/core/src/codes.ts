import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/** A verification code of `length` digits from the CSPRNG (leading zeros kept). */
export function generateCode(length: number): string {
  let code = '';
  for (let i = 0; i < length; i++) code += randomInt(10).toString();
  return code;
}

/** The keyed hash stored instead of the code (HMAC-SHA256, hex). */
export function hashCode(secret: string, code: string): string {
  return createHmac('sha256', secret).update(code).digest('hex');
}

/** Constant-time comparison of two hex hashes. */
export function hashesMatch(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
