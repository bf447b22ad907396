import { ConfigError, commaList } from '@sms/config';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { INTERNATIONAL_FORM, normalizePhone, phoneCountry, textablePhone } from './phone';

export interface TestNumbersConfig {
  NODE_ENV: string;
  CODE_LENGTH: number;
  SMS_TEST_NUMBERS?: string | undefined;
  SMS_TEST_NUMBERS_UNTIL?: string | undefined;
}

const refuse = (why: string) => new ConfigError(`Invalid configuration: ${why}`);

/**
 * SMS_TEST_NUMBERS: phones that get a fixed code instead of an SMS, for app
 * store reviewers and the users' own CI. Checked at start: each entry
 * `<phone>=<CODE_LENGTH digits>` with a possible international phone, no phone
 * twice; SMS_TEST_NUMBERS_UNTIL required with them in production and never
 * past. Error lines name the entry by its position, never the phone.
 */
export class TestNumbers {
  private constructor(
    private readonly codes: ReadonlyMap<string, string>,
    private readonly until: Date | null,
  ) {}

  static fromConfig(config: TestNumbersConfig, now = new Date()): TestNumbers {
    const entries = commaList(config.SMS_TEST_NUMBERS);
    const codes = new Map<string, string>();
    entries.forEach((entry, i) => {
      const where = `SMS_TEST_NUMBERS entry ${i + 1}`;
      const [phoneInput = '', code, ...rest] = entry.split('=').map((s) => s.trim());
      const parsed = parsePhoneNumberFromString(phoneInput);
      if (code === undefined || rest.length > 0 || !phoneInput.startsWith('+') || !parsed?.isPossible()) {
        throw refuse(`${where} must be <international phone>=<code> (the phone with its + and country code)`);
      }
      if (!new RegExp(`^[0-9]{${config.CODE_LENGTH}}$`).test(code)) {
        throw refuse(`${where}: its code must be CODE_LENGTH (${config.CODE_LENGTH}) digits`);
      }
      if (codes.has(parsed.number)) throw refuse(`${where} repeats a phone given before`);
      codes.set(parsed.number, code);
    });

    let until: Date | null = null;
    if (config.SMS_TEST_NUMBERS_UNTIL) {
      until = new Date(config.SMS_TEST_NUMBERS_UNTIL);
      if (Number.isNaN(until.getTime())) throw refuse('SMS_TEST_NUMBERS_UNTIL is not an ISO 8601 date');
      if (until <= now) throw refuse('SMS_TEST_NUMBERS_UNTIL is in the past: remove the test numbers or move the date');
    } else if (codes.size > 0 && config.NODE_ENV === 'production') {
      throw refuse('SMS_TEST_NUMBERS_UNTIL is required with SMS_TEST_NUMBERS when NODE_ENV=production');
    }
    return new TestNumbers(codes, until);
  }

  /** The fixed code of a test phone (E.164), or undefined for any other phone and once SMS_TEST_NUMBERS_UNTIL has passed. */
  codeFor(phone: string, now = new Date()): string | undefined {
    if (this.until && now >= this.until) return undefined;
    return this.codes.get(phone);
  }

  /** The test phone `input` names, in E.164, while the test numbers are on; null for any other phone. */
  match(input: string, now = new Date()): string | null {
    const parsed = INTERNATIONAL_FORM.test(input) ? parsePhoneNumberFromString(input) : undefined;
    return parsed && this.codeFor(parsed.number, now) !== undefined ? parsed.number : null;
  }

  /**
   * For requests that send a code: textablePhone, except that a test number
   * passes the country and number-type filters (it is never texted; most are
   * fictional numbers such as +1 555 555 0100).
   */
  sendable(input: string, allowed: { countries: readonly string[]; types: readonly string[] }) {
    const test = this.match(input);
    return test ? { phone: test, country: phoneCountry(test) } : textablePhone(input, allowed);
  }

  /** For verify: normalizePhone, a test number let through whatever its country. */
  normalize(input: string, allowedCountries: readonly string[]): string {
    return this.match(input) ?? normalizePhone(input, allowedCountries);
  }
}
