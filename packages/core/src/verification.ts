import type { SmsSettingsRepository } from '@sms/db';
import { BackgroundTasks } from './background';
import type { FailureBudget } from './budgets';
import type { CodeSender } from './code-sender';
import { hashCode, hashesMatch } from './codes';
import { AppError, ErrorCode, errors } from './errors';
import type { Messages } from './messages';
import type { Requester } from './send-limiter';
import type { LanguageChoice, SettingsConfig } from './settings';
import type { TestNumbers } from './test-numbers';

export interface VerificationDeps {
  smsSettings: Pick<SmsSettingsRepository, 'findPendingUser' | 'countAttempt' | 'verifyWithCode'>;
  config: Pick<
    SettingsConfig,
    'APP_SECRET' | 'CODE_MAX_ATTEMPTS' | 'SMS_ALLOWED_COUNTRIES' | 'SMS_ALLOWED_NUMBER_TYPES'
  >;
  codes: Pick<CodeSender, 'checkLimit' | 'checkRequester' | 'send'>;
  /** Wrong codes per phone, across its codes (CODE_MAX_FAILED_PER_PHONE_PER_DAY). */
  failures: Pick<FailureBudget, 'reserve' | 'refund'>;
  messages: Pick<Messages, 'firstServed'>;
  testNumbers: Pick<TestNumbers, 'sendable' | 'normalize'>;
  /** Work done after the answer failed (e.g. the database went away): nobody else will hear of it. */
  onBackgroundError?: (err: Error) => void;
}

/** Verifying a phone with the code sent to it, and sending a new code; no HTTP in it. */
export class VerificationService {
  private readonly background: BackgroundTasks;

  constructor(private readonly deps: VerificationDeps) {
    this.background = new BackgroundTasks(deps.onBackgroundError);
  }

  private get config() {
    return this.deps.config;
  }

  /**
   * Always resolves the same way for unknown, verified and pending phones (no
   * enumeration). The SMS's language: the body's, else the one kept with the
   * settings, else Accept-Language's, else the default.
   */
  async resend(phoneInput: string, requester: Pick<Requester, 'ip'> = {}, choice: LanguageChoice = {}): Promise<void> {
    const { phone, country } = this.deps.testNumbers.sendable(phoneInput, {
      countries: this.config.SMS_ALLOWED_COUNTRIES,
      types: this.config.SMS_ALLOWED_NUMBER_TYPES,
    });
    await this.deps.codes.checkRequester({ ip: requester.ip });
    await this.deps.codes.checkLimit(phone, country);
    const pending = await this.deps.smsSettings.findPendingUser(phone);
    if (pending === null) return;
    const language = choice.language ?? pending.language ?? this.deps.messages.firstServed(choice.accepted ?? []);
    // Answered before the code is stored and sent: otherwise the extra
    // transaction and enqueue would make a pending phone measurably slower
    // than an unknown one, and timing would reveal which phones are pending.
    this.background.run(async () => {
      await this.deps.codes.send(pending.userId, { phone, country, language });
    });
  }

  /** Resolves once the work earlier calls left running (resend's send) is done: for shutdown and tests. */
  settled(): Promise<void> {
    return this.background.settled();
  }

  /**
   * Checks a code; with `userId` (a session's account) only that account's code
   * can match. Every attempt first takes one from the phone's daily failure
   * budget (unknown phones alike, so TOO_MANY_ATTEMPTS tells nothing) and gives
   * it back unless the code was wrong: at most CODE_MAX_FAILED_PER_PHONE_PER_DAY
   * wrong codes are ever compared per phone, whatever the number of codes sent.
   */
  async verify(phoneInput: string, code: string, userId?: string): Promise<void> {
    const phone = this.deps.testNumbers.normalize(phoneInput, this.config.SMS_ALLOWED_COUNTRIES);
    const waitMs = await this.deps.failures.reserve(phone);
    if (waitMs > 0) throw errors.tooManyAttempts(Math.ceil(waitMs / 1000));
    try {
      await this.check(phone, code, userId);
    } catch (err) {
      if (!(err instanceof AppError && err.code === ErrorCode.INVALID_CODE)) await this.deps.failures.refund(phone);
      throw err;
    }
    await this.deps.failures.refund(phone);
  }

  /**
   * Each attempt is counted against the per-code limit before the code is
   * compared, atomically, so concurrent guesses cannot exceed CODE_MAX_ATTEMPTS;
   * the winning update is conditional on the same hash, so a code is used at most once.
   */
  private async check(phone: string, code: string, userId: string | undefined): Promise<void> {
    const { smsSettings } = this.deps;
    const { counted, candidates, liveAccounts } = await smsSettings.countAttempt(phone, this.config.CODE_MAX_ATTEMPTS);
    // A code that used up its attempts answers like a wrong one: a distinct
    // answer would tell pending phones from unknown ones.
    if (!counted) throw errors.invalidCode();
    // Two accounts waiting on one phone: whoever typed a code cannot be told
    // from another without a session, and the newest SMS may be an attacker's.
    const mine = userId ? candidates.filter((c) => c.userId === userId) : liveAccounts > 1 ? [] : candidates;

    const hash = hashCode(this.config.APP_SECRET, code);
    const match = mine.find((c) => c.codeHash !== null && hashesMatch(c.codeHash, hash));
    if (!match) throw errors.invalidCode();

    const outcome = await smsSettings.verifyWithCode(match.userId, hash, phone);
    if (outcome === 'phone-in-use') throw errors.phoneInUse();
    if (outcome === 'stale') throw errors.invalidCode();
  }
}
