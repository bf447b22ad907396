// The limit for the API on this machine: the same work as its routes with no
// layer between Fastify and the raw `mariadb` driver (and BullMQ), on tables
// of its own (anchor_*, copies of the seeded ones: bench/lib/anchors.ts).
// BENCH_ANCHOR picks the route it serves under the API's path:
//   get-join  GET: session, account and settings in one indexed join
//   get-two   GET: the session (joined to its account), then the settings
//   put       PUT: the session, then one transaction (settings upsert and
//             outbox insert pipelined after START TRANSACTION), COMMIT, one
//             queue add (to a queue of its own, which no worker drains)
// Prints its port as one JSON line.
import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { poolConfig } from '@sms/db';
import { defaultJobOptions, jobIdFor } from '@sms/jobs';
import { Queue } from 'bullmq';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import mariadb from 'mariadb';

const env = process.env;
const mode = env.BENCH_ANCHOR ?? 'get-join';
const pool = mariadb.createPool({
  ...poolConfig(env.DATABASE_URL!, Number(env.DATABASE_POOL_SIZE ?? 20)),
  dateStrings: false,
});
const CODE_TTL_MS = 10 * 60_000;
const SESSION_ID = /^[0-9a-f]{32}$/;

interface Holder {
  user_id: string;
  expire_time: Date;
  admin: number;
}
const HOLDER = `SELECT s.user_id, s.expire_time, a.admin
  FROM anchor_sessions s JOIN anchor_accounts a ON a.id = s.user_id WHERE s.id_hash = ?`;
const JOINED = `SELECT s.user_id, s.expire_time, a.admin, st.phone, st.verified
  FROM anchor_sessions s JOIN anchor_accounts a ON a.id = s.user_id
  LEFT JOIN anchor_sms_settings st ON st.user_id = ?
  WHERE s.id_hash = ?`;

const idHashOf = (request: FastifyRequest) => {
  const id = request.headers['x-session-id'];
  return typeof id === 'string' && SESSION_ID.test(id) ? createHash('sha256').update(id).digest('hex') : null;
};

/** 401 for no live session, 403 for another's account: what the API's auth and ownership checks answer. */
function refused(holder: Holder | undefined, userId: string, reply: FastifyReply): boolean {
  if (!holder || holder.expire_time.getTime() <= Date.now()) void reply.code(401).send({ code: 'NOT_SIGNED' });
  else if (holder.user_id !== userId && !holder.admin) void reply.code(403).send({ code: 'FORBIDDEN' });
  else return false;
  return true;
}

type Params = { Params: { user_id: string } };
const app = Fastify({ logger: false });
const settingsView = {
  type: 'object',
  required: ['phone', 'verified', 'id'],
  properties: { phone: { type: ['string', 'null'] }, verified: { type: 'boolean' }, id: { type: 'string' } },
} as const;
const path = '/api/v1/sms_settings/:user_id';
let closeQueue = async () => {};

if (mode === 'get-join' || mode === 'get-two') {
  app.get<Params>(path, { schema: { response: { 200: settingsView } } }, async (request, reply) => {
    const idHash = idHashOf(request);
    const userId = request.params.user_id;
    let row: (Holder & { phone: string | null; verified: number | null }) | undefined;
    if (idHash && mode === 'get-join') [row] = await pool.query(JOINED, [userId, idHash]);
    else if (idHash) {
      const [holder] = (await pool.query<Holder[]>(HOLDER, [idHash])) as (Holder | undefined)[];
      if (refused(holder, userId, reply)) return reply;
      const [settings] = await pool.query<{ phone: string | null; verified: number }[]>(
        'SELECT phone, verified FROM anchor_sms_settings WHERE user_id = ?',
        [userId],
      );
      row = { ...holder!, phone: settings?.phone ?? null, verified: settings?.verified ?? 0 };
    }
    if (refused(row, userId, reply)) return reply;
    return { phone: row!.phone ?? null, verified: Boolean(row!.verified), id: userId };
  });
} else {
  const appSecret = env.APP_SECRET!;
  const redis = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: null });
  const queue = new Queue('anchor', {
    connection: redis,
    prefix: env.QUEUE_PREFIX,
    defaultJobOptions: defaultJobOptions({
      QUEUE_PREFIX: env.QUEUE_PREFIX!,
      SMS_MAX_ATTEMPTS: 8,
      SMS_BACKOFF_MS: 2000,
    }),
  });
  closeQueue = async () => {
    await queue.close();
    await redis.quit();
  };
  const body = { type: 'object', required: ['phone'], properties: { phone: { type: 'string' } } } as const;
  app.put<Params & { Body: { phone: string } }>(path, { schema: { body } }, async (request, reply) => {
    const idHash = idHashOf(request);
    const userId = request.params.user_id;
    const [holder] = idHash ? ((await pool.query<Holder[]>(HOLDER, [idHash])) as (Holder | undefined)[]) : [];
    if (refused(holder, userId, reply)) return reply;
    const phone = request.body.phone;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const codeHash = createHmac('sha256', appSecret).update(code).digest('hex');
    const now = new Date();
    const expire = new Date(now.getTime() + CODE_TTL_MS);
    const messageId = randomBytes(16).toString('hex');
    const conn = await pool.getConnection();
    try {
      // Pipelined: the driver sends all three before the first answer comes.
      await Promise.all([
        conn.query('START TRANSACTION'),
        conn.query(
          // The API's upsert (a new pending code for a new phone), on the anchor's table.
          `INSERT INTO anchor_sms_settings (user_id, phone, code_hash, code_expire_time, update_time)
           VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE phone = VALUES(phone), verified = FALSE,
           verified_phone = NULL, code_hash = VALUES(code_hash), code_expire_time = VALUES(code_expire_time),
           code_attempts = 0, update_time = VALUES(update_time)`,
          [userId, phone, codeHash, expire, now],
        ),
        conn.query(
          `INSERT INTO anchor_sms_messages (id, user_id, recipient, body, status, attempts, due_time, create_time, update_time)
           VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?)`,
          [messageId, userId, phone, `Your verification code: ${code}`, now, now, now],
        ),
      ]);
      await conn.query('COMMIT');
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      await conn.release();
    }
    await queue.add('send', { messageId }, { jobId: jobIdFor(messageId) });
    return { phone, ver_code: null, ver_expire_time: expire.toISOString(), verified: false, id: userId };
  });
}

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
process.once('SIGTERM', async () => {
  await app.close();
  await closeQueue();
  await pool.end();
});
