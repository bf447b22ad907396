import type { Db } from '../db';
import { isUniqueViolation } from '../errors';
import { retryOnLockConflict } from '../retry';
import type { Prisma, SmsSettings } from '../generated/client';
import type { Row } from './columns';
import type { NewMessage } from './sms-messages';

/** What the services read of a settings row. */
export type SettingsState = Pick<SmsSettings, 'phone' | 'verified' | 'codeHash' | 'codeExpireTime' | 'language'>;

const STATE = { phone: true, verified: true, codeHash: true, codeExpireTime: true, language: true } as const;

/** One phone verified by at most one account: the index that says so. */
const VERIFIED_PHONE_INDEX = 'sms_settings_verified_phone_key';

/** The phone's pending, unexpired code. */
const live = (phone: string, now: Date): Prisma.SmsSettingsWhereInput => ({
  phone,
  verified: false,
  codeHash: { not: null },
  codeExpireTime: { gt: now },
});

/** A settings row read through a LEFT JOIN: settings_user_id is null when the account has none. */
export type JoinedSettings = Partial<
  Row<'sms_settings', 'phone' | 'verified' | 'codeHash' | 'codeExpireTime' | 'language'>
> & {
  settings_user_id: string | null;
};

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

/** The sms_settings table: an account's phone and the verification of it. Prisma's model API, but for storeCode's write. */
export class SmsSettingsRepository {
  constructor(private readonly db: Pick<Db, 'prisma'>) {}

  /**
   * The account's settings (null when it has none yet), or undefined when the
   * account does not exist; with `holderOf` also the account that has that
   * phone verified, if any.
   */
  async loadForAccount(
    userId: string,
    holderOf?: string,
  ): Promise<{ settings: SettingsState | null; holderUserId: string | null } | undefined> {
    const { account, smsSettings } = this.db.prisma;
    const [found, holder] = await Promise.all([
      account.findUnique({ where: { id: userId }, select: { smsSettings: { select: STATE } } }),
      holderOf ? smsSettings.findUnique({ where: { verifiedPhone: holderOf }, select: { userId: true } }) : null,
    ]);
    if (!found) return undefined;
    return { settings: found.smsSettings, holderUserId: holder?.userId ?? null };
  }

  /** The account whose settings last asked for this phone and have not verified it, and the language kept with them. */
  async findPendingUser(phone: string): Promise<{ userId: string; language: string | null } | null> {
    return this.db.prisma.smsSettings.findFirst({
      where: { phone, verified: false },
      orderBy: { updateTime: 'desc' },
      select: { userId: true, language: true },
    });
  }

  /**
   * Counts an attempt against the phone's live code, unless it has had
   * `maxAttempts` already, and returns the codes that may still be tried. The
   * count is one conditional UPDATE, so concurrent guesses cannot exceed
   * `maxAttempts`; the read after it sees it.
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
    const { smsSettings } = this.db.prisma;
    // Concurrent verifies of one phone deadlock on its row and index; the
    // UPDATE is one statement, rolled back whole, so it is simply run again.
    const counted = await retryOnLockConflict(() =>
      smsSettings.updateMany({
        where: { ...live(phone, now), codeAttempts: { lt: maxAttempts } },
        data: { codeAttempts: { increment: 1 } },
      }),
    );
    const rows = await smsSettings.findMany({
      where: live(phone, now),
      select: { userId: true, codeHash: true, codeAttempts: true },
    });
    return {
      counted: counted.count > 0,
      candidates: rows
        .filter((r) => r.codeAttempts <= maxAttempts)
        .map((r) => ({ userId: r.userId, codeHash: r.codeHash })),
      liveAccounts: rows.length,
    };
  }

  /** Whether the phone has a live code (one that used up its attempts included). */
  async hasLiveCode(phone: string, now = new Date()): Promise<boolean> {
    return (await this.db.prisma.smsSettings.count({ where: live(phone, now) })) > 0;
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
      return await this.db.prisma.smsSettings.upsert({
        where: { userId },
        create: { userId, ...data },
        update: data,
        select: STATE,
      });
    } catch (err) {
      if (isUniqueViolation(err, VERIFIED_PHONE_INDEX)) return 'phone-in-use';
      throw err;
    }
  }

  /**
   * A new pending code for the phone and the SMS carrying it, in one
   * transaction (the outbox): the settings row's write and the message's
   * insert commit together or not at all. `message` null: a test number, no
   * SMS.
   *
   * The settings row is one hand-written `INSERT … ON DUPLICATE KEY UPDATE`
   * (docs/database.md): Prisma's upsert on MySQL is a SELECT, then an UPDATE
   * or INSERT, then a SELECT of the row, so two first PUTs of one account at
   * once could both insert and one lose on the primary key; here the primary
   * key decides, in the statement itself. PUT's transaction is four round
   * trips (BEGIN, this, the message's INSERT, COMMIT) instead of six.
   */
  async storeCode(
    userId: string,
    phone: string,
    code: { codeHash: string; codeExpireTime: Date; language?: string | null },
    message: Omit<NewMessage, 'userId' | 'recipient'> | null,
    now = new Date(),
  ): Promise<void> {
    const { codeHash, codeExpireTime } = code;
    const language = code.language ?? null;
    const { prisma } = this.db;
    // A pending code: not verified, no verified phone, no attempts yet.
    const settings = () => prisma.$executeRaw`
      INSERT INTO sms_settings
        (user_id, phone, verified, verified_phone, code_hash, code_expire_time, code_attempts, language, update_time)
      VALUES (${userId}, ${phone}, FALSE, NULL, ${codeHash}, ${codeExpireTime}, 0, ${language}, ${now})
      ON DUPLICATE KEY UPDATE
        phone = ${phone}, verified = FALSE, verified_phone = NULL, code_hash = ${codeHash},
        code_expire_time = ${codeExpireTime}, code_attempts = 0, language = ${language}, update_time = ${now}`;
    // InnoDB picks a victim when concurrent transactions deadlock and rolls it
    // back whole; running it again is the documented remedy.
    await retryOnLockConflict(async () => {
      if (!message) return void (await settings());
      // The raw statement goes first. Prisma caches a batch's plan only when
      // the batch starts with a model query, keyed by the batch with its
      // values made parameters, which a raw statement's are not: after
      // createMany, every call would be planned afresh and leave one more
      // plan in the cache (up to 1,000). First, the batch is planned afresh
      // (about 0.35 ms of CPU per PUT, measured) and nothing is cached.
      await prisma.$transaction([
        settings(),
        // createMany: a plain INSERT, where create reads the row back.
        prisma.smsMessage.createMany({
          data: {
            ...message,
            userId,
            recipient: phone,
            status: 'queued',
            dueTime: now,
            createTime: now,
            updateTime: now,
          },
        }),
      ]);
    });
  }
}
