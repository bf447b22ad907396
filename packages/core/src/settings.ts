import { sqlOf, type PrismaClient, type SmsSettings, type Sql } from '@sms/db';
import { generateCode, hashCode, hashesMatch } from './codes';
import type { Caller } from './accounts';
import { errors } from './errors';
import { newId } from './ids';
import { normalizePhone } from './phone';
import { isUniqueViolation } from './prisma-errors';
import type { SendLimiter } from './send-limiter';

export interface SettingsConfig {
  APP_SECRET: string;
  CODE_LENGTH: number;
  CODE_TTL_SECONDS: number;
  CODE_MAX_ATTEMPTS: number;
  SMS_TEMPLATE: string;
  SMS_ALLOWED_COUNTRIES: string[];
  EXPOSE_VERIFICATION_CODE: boolean;
}

/** GET's answer. */
export interface SettingsView {
  phone: string | null;
  verified: boolean;
  id: string;
}

/** PUT's answer (the seed's shape). */
export interface SettingsUpdateView extends SettingsView {
  ver_code: string | null;
  ver_expire_time: string | null;
}

export interface SettingsDeps {
  prisma: PrismaClient;
  /** The hot paths in plain SQL, on Prisma's own pool (default: sqlOf(prisma)). */
  sql?: Sql;
  config: SettingsConfig;
  limiter: SendLimiter;
  /** Adds the send jobs; may fail (Redis down): the outbox sweeper catches up. */
  enqueue: (messageIds: string[]) => Promise<void>;
  onEnqueueError?: (err: Error, messageId: string) => void;
  /** Work done after the answer failed (e.g. the database went away): nobody else will hear of it. */
  onBackgroundError?: (err: Error) => void;
}

const VERIFIED_PHONE_INDEX = 'sms_settings_verified_phone_key';

/** The columns of a settings row that the answers are made of. */
type SettingsRow = Pick<SmsSettings, 'phone' | 'verified' | 'codeHash' | 'codeExpireTime'>;

interface LoadedRow {
  settings_user_id: string | null;
  phone: string | null;
  verified: number | null;
  code_hash: string | null;
  code_expire_time: Date | null;
  holder_user_id: string | null;
}

/**
 * The SMS settings of an account and the verification of its phone, with no
 * HTTP in it. Every SMS is written to sms_messages in the same transaction as
 * the code it carries (the outbox), then enqueued.
 */
export class SmsSettingsService {
  private readonly sql: Sql;

  constructor(private readonly deps: SettingsDeps) {
    this.sql = deps.sql ?? sqlOf(deps.prisma);
  }

  private get config() {
    return this.deps.config;
  }

  /**
   * The account's settings (null when it has none yet); 404 when the account
   * does not exist. One round trip: the account and its settings in one join
   * (Prisma's nested select is two), and with `holderOf` also the account that
   * has that phone verified, if any.
   */
  private async loadForCaller(userId: string, caller: Caller, holderOf?: string) {
    if (caller.userId !== userId && !caller.admin) throw errors.notOwnerOrAdmin();
    const holder = holderOf ? '(SELECT h.user_id FROM sms_settings h WHERE h.verified_phone = ?)' : 'NULL';
    const [row] = await this.sql.query<LoadedRow>(
      `SELECT s.user_id AS settings_user_id, s.phone, s.verified, s.code_hash, s.code_expire_time,
         ${holder} AS holder_user_id
       FROM accounts a LEFT JOIN sms_settings s ON s.user_id = a.id
       WHERE a.id = ?`,
      holderOf ? [holderOf, userId] : [userId],
    );
    if (!row) throw errors.notFound('no such account');
    const settings: SettingsRow | null =
      row.settings_user_id === null
        ? null
        : {
            phone: row.phone,
            verified: Boolean(row.verified),
            codeHash: row.code_hash,
            codeExpireTime: row.code_expire_time,
          };
    return { settings, holderUserId: row.holder_user_id };
  }

  async get(userId: string, caller: Caller): Promise<SettingsView> {
    const { settings } = await this.loadForCaller(userId, caller);
    return { phone: settings?.phone ?? null, verified: settings?.verified ?? false, id: userId };
  }

  async put(userId: string, input: { phone: string; verified?: boolean }, caller: Caller): Promise<SettingsUpdateView> {
    if (input.verified === true && !caller.admin) throw errors.forbidden('only admins may set verified: true');
    const phone = normalizePhone(input.phone, this.config.SMS_ALLOWED_COUNTRIES);
    const { settings, holderUserId } = await this.loadForCaller(userId, caller, phone);

    const samePhone = settings?.phone === phone;
    if (samePhone && !(input.verified === true && !settings.verified)) return this.updateView(userId, settings);

    if (holderUserId !== null && holderUserId !== userId) throw errors.phoneInUse();

    if (input.verified === true) return this.markVerifiedByAdmin(userId, phone);

    await this.checkSendLimit(phone);
    const code = generateCode(this.config.CODE_LENGTH);
    const { settings: updated, messageId } = await this.storeCodeAndMessage(userId, phone, code);
    await this.enqueue(messageId);
    return this.updateView(userId, updated, code);
  }

  /** Always resolves the same way for unknown, verified and pending phones (no enumeration). */
  async resend(phoneInput: string): Promise<void> {
    const phone = normalizePhone(phoneInput, this.config.SMS_ALLOWED_COUNTRIES);
    await this.checkSendLimit(phone);
    const [pending] = await this.sql.query<{ user_id: string }>(
      'SELECT user_id FROM sms_settings WHERE phone = ? AND verified = FALSE ORDER BY update_time DESC LIMIT 1',
      [phone],
    );
    if (!pending) return;
    // Answered before the code is stored and sent: otherwise the extra
    // transaction and enqueue would make a pending phone measurably slower
    // than an unknown one, and timing would reveal which phones are pending.
    this.inBackground(async () => {
      const { messageId } = await this.storeCodeAndMessage(
        pending.user_id,
        phone,
        generateCode(this.config.CODE_LENGTH),
      );
      await this.enqueue(messageId);
    });
  }

  /** Resolves once the work earlier calls left running (resend's send) is done: for shutdown and tests. */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.all(this.background);
  }

  private readonly background = new Set<Promise<void>>();

  private inBackground(work: () => Promise<void>): void {
    const running: Promise<void> = work()
      .catch((err: Error) => this.deps.onBackgroundError?.(err))
      .finally(() => this.background.delete(running));
    this.background.add(running);
  }

  /**
   * Checks a code. Each attempt is counted before the code is compared, atomically,
   * so concurrent guesses cannot exceed CODE_MAX_ATTEMPTS; the winning update is
   * conditional on the same hash, so a code is used at most once.
   */
  async verify(phoneInput: string, code: string): Promise<void> {
    const phone = normalizePhone(phoneInput, this.config.SMS_ALLOWED_COUNTRIES);
    const { prisma } = this.deps;
    const now = new Date();
    const maxAttempts = this.config.CODE_MAX_ATTEMPTS;
    // A live code: the phone's pending, unexpired code.
    const live = 'phone = ? AND verified = FALSE AND code_hash IS NOT NULL AND code_expire_time > ?';

    // The attempt is counted (update_time moves, as Prisma's @updatedAt moved
    // it) and the candidates are read in one round trip: the driver pipelines
    // both on one connection, and the SELECT sees the UPDATE.
    const [reserved, candidates] = await this.sql.batch<
      [{ affectedRows: number }, { user_id: string; code_hash: string | null }[]]
    >([
      [
        `UPDATE sms_settings SET code_attempts = code_attempts + 1, update_time = ? WHERE ${live} AND code_attempts < ?`,
        [now, phone, now, maxAttempts],
      ],
      [`SELECT user_id, code_hash FROM sms_settings WHERE ${live} AND code_attempts <= ?`, [phone, now, maxAttempts]],
    ]);
    if (reserved.affectedRows === 0) {
      const [exhausted] = await this.sql.query<{ n: bigint }>(`SELECT COUNT(*) AS n FROM sms_settings WHERE ${live}`, [
        phone,
        now,
      ]);
      throw Number(exhausted?.n ?? 0) > 0 ? errors.tooManyAttempts() : errors.invalidCode();
    }

    const hash = hashCode(this.config.APP_SECRET, code);
    const match = candidates.find((c) => c.code_hash !== null && hashesMatch(c.code_hash, hash));
    if (!match) throw errors.invalidCode();

    try {
      const won = await prisma.smsSettings.updateMany({
        where: { userId: match.user_id, codeHash: hash, verified: false },
        data: { verified: true, verifiedPhone: phone, codeHash: null, codeExpireTime: null, codeAttempts: 0 },
      });
      if (won.count === 0) throw errors.invalidCode();
    } catch (err) {
      if (isUniqueViolation(err, VERIFIED_PHONE_INDEX)) throw errors.phoneInUse();
      throw err;
    }
  }

  private async checkSendLimit(phone: string): Promise<void> {
    const decision = await this.deps.limiter.hit(phone);
    if (!decision.allowed) throw errors.tooManyRequests(decision.retryAfterSeconds);
  }

  private async markVerifiedByAdmin(userId: string, phone: string): Promise<SettingsUpdateView> {
    const data = { phone, verified: true, verifiedPhone: phone, codeHash: null, codeExpireTime: null, codeAttempts: 0 };
    try {
      const settings = await this.deps.prisma.smsSettings.upsert({
        where: { userId },
        create: { userId, ...data },
        update: data,
      });
      return this.updateView(userId, settings);
    } catch (err) {
      if (isUniqueViolation(err, VERIFIED_PHONE_INDEX)) throw errors.phoneInUse();
      throw err;
    }
  }

  /**
   * The new code and the SMS carrying it, in one transaction (the outbox): an
   * upsert and an insert, pipelined after START TRANSACTION, then COMMIT — two
   * round trips, where Prisma's upsert and create in a transaction make eight
   * (BEGIN, read, update, read back, insert, read back, COMMIT).
   */
  private async storeCodeAndMessage(userId: string, phone: string, code: string) {
    const messageId = newId();
    const now = new Date();
    const settings: SettingsRow = {
      phone,
      verified: false,
      codeHash: hashCode(this.config.APP_SECRET, code),
      codeExpireTime: new Date(now.getTime() + this.config.CODE_TTL_SECONDS * 1000),
    };
    const body = this.config.SMS_TEMPLATE.replaceAll('{code}', code);
    // Times are set here, as Prisma's @default(now()) and @updatedAt set them.
    await this.sql.transaction([
      [
        `INSERT INTO sms_settings
           (user_id, phone, verified, verified_phone, code_hash, code_expire_time, code_attempts, update_time)
         VALUES (?, ?, FALSE, NULL, ?, ?, 0, ?)
         ON DUPLICATE KEY UPDATE phone = VALUES(phone), verified = FALSE, verified_phone = NULL,
           code_hash = VALUES(code_hash), code_expire_time = VALUES(code_expire_time), code_attempts = 0,
           update_time = VALUES(update_time)`,
        [userId, phone, settings.codeHash, settings.codeExpireTime, now],
      ],
      [
        `INSERT INTO sms_messages (id, user_id, recipient, body, status, attempts, due_time, create_time, update_time)
         VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?)`,
        [messageId, userId, phone, body, now, now, now],
      ],
    ]);
    return { settings, messageId };
  }

  private async enqueue(messageId: string): Promise<void> {
    try {
      await this.deps.enqueue([messageId]);
    } catch (err) {
      // The row is committed as `queued`; the worker's outbox sweeper enqueues it.
      this.deps.onEnqueueError?.(err as Error, messageId);
    }
  }

  private updateView(userId: string, settings: SettingsRow | null, code?: string): SettingsUpdateView {
    const pending =
      settings?.codeHash && settings.codeExpireTime && !settings.verified ? settings.codeExpireTime : null;
    return {
      phone: settings?.phone ?? null,
      ver_code: code && this.config.EXPOSE_VERIFICATION_CODE ? code : null,
      ver_expire_time: pending ? pending.toISOString() : null,
      verified: settings?.verified ?? false,
      id: userId,
    };
  }
}
