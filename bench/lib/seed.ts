// Fixed seed data, written straight to the scratch database: accounts with
// two live sessions each, in three groups — PUT targets (a phone, no code),
// verify targets (a pending code that the benchmark never guesses) and
// verified accounts — so GET reads every shape of settings row.
import { createHash, createHmac } from 'node:crypto';
import type { Pool } from 'mariadb';

export const GROUPS = { put: 1000, verify: 2000, verified: 1000 } as const;
export const SESSIONS_PER_USER = 2;
/** The code every seeded pending verification has; the benchmark sends others. */
export const SEEDED_CODE = '000000';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const pad7 = (n: number) => String(n).padStart(7, '0');

/** Ukrainian mobile numbers (valid for libphonenumber), one range per use. */
export const phones = {
  seeded: (i: number) => `+38067${pad7(i)}`,
  put: (n: number) => `+38050${pad7(n % 10_000_000)}`,
  backlog: (n: number) => `+38063${pad7(n % 10_000_000)}`,
};

export interface SeedUser {
  id: string;
  sessions: string[];
  group: keyof typeof GROUPS;
  phone: string;
}

export interface Seeded {
  users: SeedUser[];
  putUsers: SeedUser[];
  verifyUsers: SeedUser[];
}

export async function seed(pool: Pool, appSecret: string, sessionTtlSeconds: number): Promise<Seeded> {
  const users: SeedUser[] = [];
  for (const group of ['put', 'verify', 'verified'] as const) {
    for (let k = 0; k < GROUPS[group]; k++) {
      const i = users.length;
      users.push({
        id: sha256(`bench:user:${i}`).slice(0, 32),
        sessions: Array.from({ length: SESSIONS_PER_USER }, (_, j) => sha256(`bench:session:${i}:${j}`).slice(0, 32)),
        group,
        phone: phones.seeded(i),
      });
    }
  }
  const now = Date.now();
  // Sessions as if in use: each last extended at some moment of the past
  // minute (the API writes a session's sliding expiry at most once a minute),
  // so about 1/60 of them fall due each second, as in a steady state. Seeded
  // all at one instant, every one of them would fall due in the same second,
  // 60 s into the run, and whichever row ran then would pay for 8,000 UPDATEs.
  const sessionExpire = (n: number) => new Date(now + sessionTtlSeconds * 1000 - ((n * 7919) % 60_000));
  const codeExpire = new Date(now + 2 * 3600_000);
  const codeHash = createHmac('sha256', appSecret).update(SEEDED_CODE).digest('hex');
  // Any valid hash will do: nobody signs in as these accounts.
  const passwordHash = `scrypt$bench$${sha256('bench-password')}`;

  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    await conn.batch(
      'INSERT INTO accounts (id, login, name, email, password_hash, admin) VALUES (?, ?, ?, NULL, ?, 0)',
      users.map((u, i) => [u.id, `bench_user_${i}`, `Bench user ${i}`, passwordHash]),
    );
    await conn.batch(
      'INSERT INTO sessions (id_hash, user_id, expire_time) VALUES (?, ?, ?)',
      users.flatMap((u, i) => u.sessions.map((s, j) => [sha256(s), u.id, sessionExpire(i * SESSIONS_PER_USER + j)])),
    );
    await conn.batch(
      `INSERT INTO sms_settings (user_id, phone, verified, verified_phone, code_hash, code_expire_time, code_attempts)
       VALUES (?, ?, ?, ?, ?, ?, 0)`,
      users.map((u) => {
        const pending = u.group === 'verify';
        const verified = u.group === 'verified';
        return [
          u.id,
          u.phone,
          verified,
          verified ? u.phone : null,
          pending ? codeHash : null,
          pending ? codeExpire : null,
        ];
      }),
    );
    await conn.commit();
  } finally {
    conn.release();
  }
  return {
    users,
    putUsers: users.filter((u) => u.group === 'put'),
    verifyUsers: users.filter((u) => u.group === 'verify'),
  };
}
