// The raw-driver anchors' own tables: copies of the seeded accounts, sessions
// and settings (same columns, indexes and foreign keys), so that the anchors'
// writes never touch what the API reads and the API's never touch theirs.
import type { Pool } from 'mariadb';

const TABLES = ['accounts', 'sessions', 'sms_settings', 'sms_messages'] as const;
const FOREIGN_KEYS: [table: string, onDelete: string][] = [
  ['sessions', 'CASCADE'],
  ['sms_settings', 'CASCADE'],
  ['sms_messages', 'SET NULL'],
];

export async function seedAnchorTables(pool: Pool): Promise<void> {
  for (const table of TABLES) {
    await pool.query(`CREATE TABLE anchor_${table} LIKE ${table}`);
    if (table !== 'sms_messages') await pool.query(`INSERT INTO anchor_${table} SELECT * FROM ${table}`);
  }
  // CREATE TABLE … LIKE copies the indexes, not the foreign keys; the API's
  // writes pay for them, so the anchors' do too.
  for (const [table, onDelete] of FOREIGN_KEYS) {
    await pool.query(
      `ALTER TABLE anchor_${table} ADD CONSTRAINT anchor_${table}_user_id_fkey FOREIGN KEY (user_id)
       REFERENCES anchor_accounts (id) ON DELETE ${onDelete} ON UPDATE CASCADE`,
    );
  }
}

/** The anchors and what each does: bench/anchor-server.ts serves them, one process each. */
export const ANCHORS = {
  'get-join': 'Fastify + raw driver: session and settings in one indexed join',
  'get-two': 'Fastify + raw driver: session, then settings (two queries)',
  put: 'Fastify + raw driver + BullMQ: session read, one transaction (settings upsert + outbox insert, pipelined), one queue add',
} as const;
export type Anchor = keyof typeof ANCHORS;
