import type { SmsSettingsRepository } from '@sms/db';
import { BackgroundTasks } from './background';
import type { CodeSender } from './code-sender';
import { hashCode, hashesMatch } from './codes';
import { errors } from './errors';
import { normalizePhone } from './phone';
import type { SettingsConfig } from './settings';

export interface VerificationDeps {
  smsSettings: Pick<SmsSettingsRepository, 'findPendingUser' | 'countAttempt' | 'hasLiveCode' | 'verifyWithCode'>;
  config: Pick<SettingsConfig, 'APP_SECRET' | 'CODE_MAX_ATTEMPTS' | 'SMS_ALLOWED_COUNTRIES'>;
  codes: Pick<CodeSender, 'checkLimit' | 'send'>;
  /** Work done after the answer failed (e.g. the database went away): nobody else will hear of it. */
  onBackgroundError?: (err: Error) => void;
}

/** Verifying a phone with the code sent to it, and sending a new code; no session needed, no HTTP in it. */
export class VerificationService {
  private readonly background: BackgroundTasks;

  constructor(private readonly deps: VerificationDeps) {
    this.background = new BackgroundTasks(deps.onBackgroundError);
  }

  private get config() {
    return this.deps.config;
  }

  /** Always resolves the same way for unknown, verified and pending phones (no enumeration). */
  async resend(phoneInput: string): Promise<void> {
    const phone = normalizePhone(phoneInput, this.config.SMS_ALLOWED_COUNTRIES);
    await this.deps.codes.checkLimit(phone);
    const userId = await this.deps.smsSettings.findPendingUser(phone);
    if (userId === null) return;
    // Answered before the code is stored and sent: otherwise the extra
    // transaction and enqueue would make a pending phone measurably slower
    // than an unknown one, and timing would reveal which phones are pending.
    this.background.run(async () => {
      await this.deps.codes.send(userId, phone);
    });
  }

  /** Resolves once the work earlier calls left running (resend's send) is done: for shutdown and tests. */
  settled(): Promise<void> {
    return this.background.settled();
  }

  /**
   * Checks a code. Each attempt is counted before the code is compared, atomically,
   * so concurrent guesses cannot exceed CODE_MAX_ATTEMPTS; the winning update is
   * conditional on the same hash, so a code is used at most once.
   */
  async verify(phoneInput: string, code: string): Promise<void> {
    const phone = normalizePhone(phoneInput, this.config.SMS_ALLOWED_COUNTRIES);
    const { smsSettings } = this.deps;
    const now = new Date();
    const { counted, candidates } = await smsSettings.countAttempt(phone, this.config.CODE_MAX_ATTEMPTS, now);
    if (!counted) throw (await smsSettings.hasLiveCode(phone, now)) ? errors.tooManyAttempts() : errors.invalidCode();

    const hash = hashCode(this.config.APP_SECRET, code);
    const match = candidates.find((c) => c.codeHash !== null && hashesMatch(c.codeHash, hash));
    if (!match) throw errors.invalidCode();

    const outcome = await smsSettings.verifyWithCode(match.userId, hash, phone);
    if (outcome === 'phone-in-use') throw errors.phoneInUse();
    if (outcome === 'stale') throw errors.invalidCode();
  }
}
