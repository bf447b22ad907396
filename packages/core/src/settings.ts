import type { SettingsState, SmsSettingsRepository } from '@sms/db';
import type { Caller } from './accounts';
import type { CodeSender } from './code-sender';
import { errors } from './errors';
import type { Messages } from './messages';
import type { Requester } from './send-limiter';
import type { TestNumbers } from './test-numbers';

export interface SettingsConfig {
  APP_SECRET: string;
  CODE_LENGTH: number;
  CODE_TTL_SECONDS: number;
  CODE_MAX_ATTEMPTS: number;
  SMS_ALLOWED_COUNTRIES: string[];
  SMS_ALLOWED_NUMBER_TYPES: string[];
  EXPOSE_VERIFICATION_CODE: boolean;
}

/** GET's answer. */
export interface SettingsView {
  phone: string | null;
  verified: boolean;
  id: string;
  /** The language the SMS are written for (BCP 47) as asked for; null when none was (the default). */
  language: string | null;
}

/** PUT's answer (the seed's shape). */
export interface SettingsUpdateView extends Omit<SettingsView, 'language'> {
  ver_code: string | null;
  ver_expire_time: string | null;
}

/** An account's settings read along with the session, before the route's handler ran. */
export interface Prefetched {
  userId: string;
  account: { settings: SettingsState | null } | undefined;
}

export interface SettingsDeps {
  smsSettings: Pick<SmsSettingsRepository, 'loadForAccount' | 'setVerified'>;
  config: Pick<SettingsConfig, 'SMS_ALLOWED_COUNTRIES' | 'SMS_ALLOWED_NUMBER_TYPES' | 'EXPOSE_VERIFICATION_CODE'>;
  codes: Pick<CodeSender, 'checkLimit' | 'checkRequester' | 'send'>;
  messages: Pick<Messages, 'firstServed'>;
  testNumbers: Pick<TestNumbers, 'sendable'>;
}

/** What a request says of the language of its SMS. */
export interface LanguageChoice {
  /** The body's `language` (canonical BCP 47). */
  language?: string | undefined;
  /** Accept-Language's tags, best first. */
  accepted?: readonly string[] | undefined;
}

/** The SMS settings of an account, for its owner or an admin, with no HTTP in it. */
export class SmsSettingsService {
  constructor(private readonly deps: SettingsDeps) {}

  private get config() {
    return this.deps.config;
  }

  /** The account's settings (null when it has none yet); 403 for others than the owner or an admin, 404 when the account does not exist. */
  private async loadForCaller(userId: string, caller: Caller, holderOf?: string) {
    if (caller.userId !== userId && !caller.admin) throw errors.notOwnerOrAdmin();
    const loaded = await this.deps.smsSettings.loadForAccount(userId, holderOf);
    if (!loaded) throw errors.notFound('no such account');
    return loaded;
  }

  /**
   * `read`: the account's settings as read with the session
   * (AccountsService.authenticateReading), which saves GET its second query.
   */
  async get(userId: string, caller: Caller, read?: Prefetched): Promise<SettingsView> {
    let settings: SettingsState | null;
    if (read?.userId === userId) {
      if (caller.userId !== userId && !caller.admin) throw errors.notOwnerOrAdmin();
      if (!read.account) throw errors.notFound('no such account');
      settings = read.account.settings;
    } else ({ settings } = await this.loadForCaller(userId, caller));
    return {
      phone: settings?.phone ?? null,
      verified: settings?.verified ?? false,
      id: userId,
      language: settings?.language ?? null,
    };
  }

  /**
   * `choice`: the language of the SMS, if one is sent: the body's, else the
   * first of Accept-Language's there is a text for, else the one kept with
   * the settings, else none (the default text).
   */
  async put(
    userId: string,
    input: { phone: string; verified?: boolean },
    caller: Caller,
    requester: Pick<Requester, 'ip'> = {},
    choice: LanguageChoice = {},
  ): Promise<SettingsUpdateView> {
    if (input.verified === true && !caller.admin) throw errors.forbidden('only admins may set verified: true');
    const { phone, country } = this.deps.testNumbers.sendable(input.phone, {
      countries: this.config.SMS_ALLOWED_COUNTRIES,
      types: this.config.SMS_ALLOWED_NUMBER_TYPES,
    });
    const { settings, holderUserId } = await this.loadForCaller(userId, caller, phone);

    const samePhone = settings?.phone === phone;
    if (samePhone && !(input.verified === true && !settings.verified)) return this.updateView(userId, settings);

    // Counted before the holder check answers: PHONE_IN_USE would otherwise be
    // a free oracle of which phones are verified elsewhere.
    if (input.verified !== true) await this.deps.codes.checkRequester({ accountId: caller.userId, ip: requester.ip });
    if (holderUserId !== null && holderUserId !== userId) throw errors.phoneInUse();

    if (input.verified === true) {
      const verified = await this.deps.smsSettings.setVerified(userId, phone);
      if (verified === 'phone-in-use') throw errors.phoneInUse();
      return this.updateView(userId, verified);
    }

    await this.deps.codes.checkLimit(phone, country);
    const language =
      choice.language ?? this.deps.messages.firstServed(choice.accepted ?? []) ?? settings?.language ?? null;
    const { code, settings: updated } = await this.deps.codes.send(userId, { phone, country, language });
    return this.updateView(userId, updated, code);
  }

  /** After a PUT the account always has settings: the ones it had for this phone, or the ones just written. */
  private updateView(userId: string, settings: SettingsState, code?: string): SettingsUpdateView {
    // A code is stored with its expiry and both are cleared once verified.
    const pending = settings.verified ? null : settings.codeExpireTime;
    return {
      phone: settings.phone,
      ver_code: code && this.config.EXPOSE_VERIFICATION_CODE ? code : null,
      ver_expire_time: pending ? pending.toISOString() : null,
      verified: settings.verified,
      id: userId,
    };
  }
}
