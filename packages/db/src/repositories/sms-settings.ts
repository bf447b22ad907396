import type { Db } from '../db';
import { isUniqueViolation } from '../errors';
import { retryOnLockConflict } from '../retry';
import type { SmsSettings } from '../generated/client';
import type { Row } from './columns';
import { insertQueuedMessage, type NewMessage } from './sms-messages';
import { update } from './update';

/** What the services read of a settings row. */
export type SettingsState = Pick<SmsSettings, 'phone' | 'verified' | 'codeHash' | 'codeExpireTime' | 'language'>;

/** One phone verified by at most one account: the index that says so. */
const VERIFIED_PHONE_INDEX = 'sms_settings_verified_phone_key';

// A live code: the phone's pending, unexpired code.
const LIVE = 'phone = ? AND verified = FALSE AND code_hash IS NOT NULL AND code_expire_time > ?';

/** A settings row read through a LEFT JOIN: settings_user_id is null when the account has none. */
export type JoinedSettings = Partial<
  Row<'sms_settings', 'phone' | 'verified' | 'codeHash' | 'codeExpireTime' | 'language'>
> & {
  settings_user_id: string | null;
};
type Loaded = JoinedSettings & { holder_user_id: string | null };

/** The settings of a joined row, null when the account has none. */
export const settingsOf = (row: JoinedSettings): SettingsState | null =>
  row.settings_user_id === null
    ? null
    : {
        phone: row.phone ?? null,
        verified: Boolean(row.verified),
        codeHash: row.code_hash ?? null,
        codeExpireTime: row.code_expire_time ?? null,
        language: row.language ?? null,
      };

/** The sms_settings table: an account's phone and the verification of it. */
export class SmsSettingsRepository {
  constructor(private readonly db: Db) {}

  /**
   * The account's settings (null when it has none yet), or undefined when the
   * account does not exist; with `holderOf` also the account that has that
   * phone verified, if any. One round trip: the account and its settings in
   * one join (Prisma's nested select is two).
   */
  async loadForAccount(
    userId: string,
    holderOf?: string,
  ): Promise<{ settings: SettingsState | null; holderUserId: string | null } | undefined> {
    const holder = holderOf ? '(SELECT h.user_id FROM sms_settings h WHERE h.verified_phone = ?)' : 'NULL';
    const [row] = await this.db.sql.read<Loaded>(
      `SELECT s.user_id AS settings_user_id, s.phone, s.verified, s.code_hash, s.code_expire_time, s.language,
         ${holder} AS holder_user_id
       FROM accounts a LEFT JOIN sms_settings s ON s.user_id = a.id
       WHERE a.id = ?`,
      holderOf ? [holderOf, userId] : [userId],
    );
    if (!row) return undefined;
    return { settings: settingsOf(row), holderUserId: row.holder_user_id };
  }

  /** The account whose settings last asked for this phone and have not verified it, and the language kept with them. */
  async findPendingUser(phone: string): Promise<{ userId: string; language: string | null } | null> {
    const [row] = await this.db.sql.read<Row<'sms_settings', 'userId' | 'language'>>(
      'SELECT user_id, language FROM sms_settings WHERE phone = ? AND verified = FALSE ORDER BY update_time DESC LIMIT 1',
      [phone],
    );
    return row ? { userId: row.user_id, language: row.language } : null;
  }

  /**
   * Counts an attempt against the phone's live code, unless it has had
   * `maxAttempts` already, and returns the codes that may still be tried. The
   * count is atomic, so concurrent guesses cannot exceed `maxAttempts`. One
   * round trip: the UPDATE and the SELECT are sent together on one connection,
   * and the SELECT sees the UPDATE.
   */
  async countAttempt(
    phone: string,
    maxAttempts: number,
    now = new Date(),
  ): Promise<{
    counted: boolean;
    candidates: { userId: string; codeHash: string | null }[];
    /** Accounts with a live code for the phone, those whose code used up its attempts included. */
    liveAccounts: number;
  }> {
    // Concurrent verifies of one phone deadlock on its row and index; only
    // the UPDATE takes locks, so a rolled-back one is simply run again.
    const [counted, rows] = await retryOnLockConflict(() =>
      this.db.sql.pipeline<[{ affectedRows: number }, Row<'sms_settings', 'userId' | 'codeHash' | 'codeAttempts'>[]]>([
        update('sms_settings', 'code_attempts = code_attempts + 1', `${LIVE} AND code_attempts < ?`, [
          phone,
          now,
          maxAttempts,
        ]),
        [`SELECT user_id, code_hash, code_attempts FROM sms_settings WHERE ${LIVE}`, [phone, now]],
      ]),
    );
    return {
      counted: counted.affectedRows > 0,
      candidates: rows
        .filter((r) => r.code_attempts <= maxAttempts)
        .map((r) => ({ userId: r.user_id, codeHash: r.code_hash })),
      liveAccounts: rows.length,
    };
  }

  /** Whether the phone has a live code (one that used up its attempts included). */
  async hasLiveCode(phone: string, now = new Date()): Promise<boolean> {
    const [row] = await this.db.sql.query<{ n: bigint }>(`SELECT COUNT(*) AS n FROM sms_settings WHERE ${LIVE}`, [
      phone,
      now,
    ]);
    // Stryker disable next-line OptionalChaining: COUNT(*) without GROUP BY always returns its one row
    return Number(row?.n ?? 0) > 0;
  }

  /**
   * The phone is verified if the account still has the pending code `codeHash`
   * (so a code is used at most once): 'stale' when it has not, 'phone-in-use'
   * when another account has verified the phone meanwhile.
   */
  async verifyWithCode(
    userId: string,
    codeHash: string,
    phone: string,
  ): Promise<'verified' | 'stale' | 'phone-in-use'> {
    try {
      const won = await retryOnLockConflict(() =>
        this.db.prisma.smsSettings.updateMany({
          where: { userId, codeHash, verified: false },
          data: { verified: true, verifiedPhone: phone, codeHash: null, codeExpireTime: null, codeAttempts: 0 },
        }),
      );
      return won.count === 0 ? 'stale' : 'verified';
    } catch (err) {
      if (isUniqueViolation(err, VERIFIED_PHONE_INDEX)) return 'phone-in-use';
      throw err;
    }
  }

  /** Sets the phone as verified without a code (an admin's word); 'phone-in-use' when another account has it. */
  async setVerified(userId: string, phone: string): Promise<SettingsState | 'phone-in-use'> {
    const data = { phone, verified: true, verifiedPhone: phone, codeHash: null, codeExpireTime: null, codeAttempts: 0 };
    try {
      return await this.db.prisma.smsSettings.upsert({ where: { userId }, create: { userId, ...data }, update: data });
    } catch (err) {
      if (isUniqueViolation(err, VERIFIED_PHONE_INDEX)) return 'phone-in-use';
      throw err;
    }
  }

  /**
   * A new pending code for the phone and the SMS carrying it, in one
   * transaction (the outbox): START TRANSACTION, an upsert, an insert and
   * COMMIT in one multi-statement query — one round trip, where Prisma's
   * upsert and create in a transaction make eight (BEGIN, read, update, read
   * back, insert, read back, COMMIT). `message` null: a test number, no SMS.
   */
  async storeCode(
    userId: string,
    phone: string,
    code: { codeHash: string; codeExpireTime: Date; language?: string | null },
    message: Omit<NewMessage, 'userId' | 'recipient'> | null,
    now = new Date(),
  ): Promise<void> {
    const values = [phone, code.codeHash, code.codeExpireTime, code.language ?? null, now];
    await this.db.sql.transaction([
      [
        `INSERT INTO sms_settings
           (user_id, phone, verified, verified_phone, code_hash, code_expire_time, code_attempts, language, update_time)
         VALUES (?, ?, FALSE, NULL, ?, ?, 0, ?, ?)
         ON DUPLICATE KEY UPDATE phone = ?, verified = FALSE, verified_phone = NULL,
           code_hash = ?, code_expire_time = ?, code_attempts = 0, language = ?, update_time = ?`,
        // The values are bound twice: MySQL deprecates VALUES(col) here and
        // MariaDB has no row alias (INSERT … AS new), so neither form fits both.
        [userId, ...values, ...values],
      ],
      ...(message ? [insertQueuedMessage({ ...message, userId, recipient: phone }, now)] : []),
    ]);
  }
}
