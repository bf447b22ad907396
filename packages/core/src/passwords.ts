import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// scrypt with N=2^14, r=8 (16 MiB, tens of ms per hash): OWASP's minimum for scrypt.
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64), self-describing so parameters can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), { N: Number(N), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

// Hashed once; verifying against it makes "unknown login" cost as much as
// "wrong password", so response times do not reveal which logins exist.
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  // Stryker disable next-line StringLiteral: any dummy password costs the same
  dummyHash ??= hashPassword('dummy-password-for-timing');
  await verifyPassword(password, await dummyHash);
}

/**
 * The list, loaded on first use: about 2 MB of heap that only a sign-up
 * needs. A process that takes none (the worker, which shares this package;
 * an API serving only its users) never loads it.
 */
let commonPasswords: Promise<{ test(password: string): boolean }> | undefined;

/**
 * Whether the password is among the most common ones (Mozilla's list for
 * Firefox Accounts: the top of a 10-million-password leak corpus, 8 characters
 * and up), which credential stuffing and spraying try first.
 */
export async function isCommonPassword(password: string): Promise<boolean> {
  const list = await (commonPasswords ??= import('fxa-common-password-list').then((m) => m.default));
  return list.test(password) || list.test(password.toLowerCase());
}
