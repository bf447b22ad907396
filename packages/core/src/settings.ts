import type { PrismaClient, SmsSettings } from '@sms/db';
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
  config: SettingsConfig;
  limiter: SendLimiter;
  /** Adds the send jobs; may fail (Redis down): the outbox sweeper catches up. */
  enqueue: (messageIds: string[]) => Promise<void>;
  onEnqueueError?: (err: Error, messageId: string) => void;
}

const VERIFIED_PHONE_INDEX = 'sms_settings_verified_phone_key';

/**
 * The SMS settings of an account and the verification of its phone, with no
 * HTTP in it. Every SMS is written to sms_messages in the same transaction as
 * the code it carries (the outbox), then enqueued.
 */
export class SmsSettingsService {
  constructor(private readonly deps: SettingsDeps) {}

  private get config() {
    return this.deps.config;
  }

  private async loadForCaller(userId: string, caller: Caller) {
    if (caller.userId !== userId && !caller.admin) throw errors.notOwnerOrAdmin();
    const account = await this.deps.prisma.account.findUnique({
      where: { id: userId },
      select: { id: true, smsSettings: true },
    });
    if (!account) throw errors.notFound('no such account');
    return account.smsSettings;
  }

  async get(userId: string, caller: Caller): Promise<SettingsView> {
    const settings = await this.loadForCaller(userId, caller);
    return { phone: settings?.phone ?? null, verified: settings?.verified ?? false, id: userId };
  }

  async put(userId: string, input: { phone: string; verified?: boolean }, caller: Caller): Promise<SettingsUpdateView> {
    if (input.verified === true && !caller.admin) throw errors.forbidden('only admins may set verified: true');
    const phone = normalizePhone(input.phone, this.config.SMS_ALLOWED_COUNTRIES);
    const settings = await this.loadForCaller(userId, caller);

    const samePhone = settings?.phone === phone;
    if (samePhone && !(input.verified === true && !settings.verified)) return this.updateView(userId, settings);

    const holder = await this.deps.prisma.smsSettings.findUnique({
      where: { verifiedPhone: phone },
      select: { userId: true },
    });
    if (holder && holder.userId !== userId) throw errors.phoneInUse();

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
    const pending = await this.deps.prisma.smsSettings.findFirst({
      where: { phone, verified: false },
      orderBy: { updateTime: 'desc' },
      select: { userId: true },
    });
    if (!pending) return;
    const { messageId } = await this.storeCodeAndMessage(pending.userId, phone, generateCode(this.config.CODE_LENGTH));
    await this.enqueue(messageId);
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
    const live = { phone, verified: false, codeHash: { not: null }, codeExpireTime: { gt: now } };

    const reserved = await prisma.smsSettings.updateMany({
      where: { ...live, codeAttempts: { lt: this.config.CODE_MAX_ATTEMPTS } },
      data: { codeAttempts: { increment: 1 } },
    });
    if (reserved.count === 0) {
      const exhausted = await prisma.smsSettings.count({ where: live });
      throw exhausted > 0 ? errors.tooManyAttempts() : errors.invalidCode();
    }

    const candidates = await prisma.smsSettings.findMany({
      where: { ...live, codeAttempts: { lte: this.config.CODE_MAX_ATTEMPTS } },
      select: { userId: true, codeHash: true },
    });
    const hash = hashCode(this.config.APP_SECRET, code);
    const match = candidates.find((c) => c.codeHash !== null && hashesMatch(c.codeHash, hash));
    if (!match) throw errors.invalidCode();

    try {
      const won = await prisma.smsSettings.updateMany({
        where: { userId: match.userId, codeHash: hash, verified: false },
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

  private async storeCodeAndMessage(userId: string, phone: string, code: string) {
    const messageId = newId();
    const data = {
      phone,
      verified: false,
      verifiedPhone: null,
      codeHash: hashCode(this.config.APP_SECRET, code),
      codeExpireTime: new Date(Date.now() + this.config.CODE_TTL_SECONDS * 1000),
      codeAttempts: 0,
    };
    const [settings] = await this.deps.prisma.$transaction([
      this.deps.prisma.smsSettings.upsert({ where: { userId }, create: { userId, ...data }, update: data }),
      this.deps.prisma.smsMessage.create({
        data: { id: messageId, userId, recipient: phone, body: this.config.SMS_TEMPLATE.replaceAll('{code}', code) },
        select: { id: true },
      }),
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

  private updateView(userId: string, settings: SmsSettings | null, code?: string): SettingsUpdateView {
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
