import { canonicalLanguage, lookupLanguage } from './language';
import { measureSms, type SmsSize } from './segments';

/** A placeholder and what it becomes. */
export const PLACEHOLDERS = ['code', 'service', 'minutes'] as const;
const PLACEHOLDER = /\{([^{}]*)\}/g;

export interface RenderedSms extends SmsSize {
  /** The language of the text (a key of the texts), which may differ from the one asked for (`pt-BR` → `pt`). */
  language: string;
  body: string;
}

export interface MessageParts {
  /** Canonical language → template. */
  texts: ReadonlyMap<string, string>;
  /** A key of `texts`: the text of every language that has none. */
  defaultLanguage: string;
  serviceName: string;
  /** The code's lifetime in whole minutes, for `{minutes}`. */
  minutes: number;
  /** SMS_WEBOTP_DOMAIN: the last line becomes `@<domain> #<code>`. */
  webOtpDomain?: string | undefined;
  /** SMS_ANDROID_APP_HASH: on a line of its own before the WebOTP line (or last). */
  appHash?: string | undefined;
}

/** The placeholders of a template that are not ones we fill. */
export const unknownPlaceholders = (template: string): string[] =>
  [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? '')
    .filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));

/** The SMS texts in every configured language, rendered with the code and the autofill lines. */
export class Messages {
  private readonly languages: ReadonlySet<string>;

  constructor(private readonly parts: MessageParts) {
    this.languages = new Set(parts.texts.keys());
  }

  /** The languages there is a text for. */
  get available(): string[] {
    return [...this.languages];
  }

  /** The first of `preferred` (e.g. from Accept-Language, best first) that some text serves, canonical; null when none. */
  firstServed(preferred: readonly string[]): string | null {
    for (const tag of preferred) {
      if (lookupLanguage(tag, this.languages) !== null) return canonicalLanguage(tag);
    }
    return null;
  }

  /** The language an SMS for someone who asked for `tag` is written in: `pt-BR` → `pt` → the default. */
  textLanguage(tag: string | null | undefined): string {
    return (tag && lookupLanguage(tag, this.languages)) || this.parts.defaultLanguage;
  }

  /** The SMS carrying `code`, in the language that serves `tag`. */
  render(tag: string | null | undefined, code: string): RenderedSms {
    const language = this.textLanguage(tag);
    const { parts } = this;
    const values: Record<string, string> = { code, service: parts.serviceName, minutes: String(parts.minutes) };
    // One pass: a service name that holds "{code}" is sent as written.
    const lines = [(parts.texts.get(language) ?? '').replace(PLACEHOLDER, (m, name: string) => values[name] ?? m)];
    // SMS Retriever finds the hash anywhere; WebOTP needs its line to be the last.
    if (parts.appHash) lines.push(parts.appHash);
    if (parts.webOtpDomain) lines.push(`@${parts.webOtpDomain} #${code}`);
    const body = lines.join('\n');
    return { language, body, ...measureSms(body) };
  }
}
