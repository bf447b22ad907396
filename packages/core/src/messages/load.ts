import { readFileSync } from 'node:fs';
import { ConfigError } from '@sms/config';
import { canonicalLanguage, lookupLanguage } from './language';
import { Messages, unknownPlaceholders } from './render';
import { BUILT_IN_TEMPLATES } from './templates';

export interface MessagesConfig {
  SMS_TEMPLATE: string;
  SMS_TEMPLATES_FILE?: string | undefined;
  SMS_DEFAULT_LANGUAGE: string;
  SMS_MAX_SEGMENTS: number;
  SERVICE_NAME: string;
  CODE_LENGTH: number;
  CODE_TTL_SECONDS: number;
  SMS_WEBOTP_DOMAIN?: string | undefined;
  SMS_ANDROID_APP_HASH?: string | undefined;
}

/** What the SMS Retriever API reads at most (developers.google.com/identity/sms-retriever/verify). */
const RETRIEVER_MAX_BYTES = 140;

const refuse = (why: string) => new ConfigError(`Invalid configuration: ${why}`);

/** SMS_TEMPLATES_FILE's texts by canonical language; one line naming what is wrong otherwise. */
function readTemplatesFile(path: string, read: (path: string) => string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(read(path));
  } catch (err) {
    const why =
      err instanceof SyntaxError ? 'is not valid JSON' : `cannot be read (${(err as NodeJS.ErrnoException).code})`;
    throw refuse(`SMS_TEMPLATES_FILE ${why}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw refuse('SMS_TEMPLATES_FILE must hold a JSON object {"<language>": "<template>"}');
  }
  const texts = new Map<string, string>();
  for (const [tag, text] of Object.entries(parsed)) {
    const language = canonicalLanguage(tag);
    if (!language) throw refuse(`SMS_TEMPLATES_FILE: "${tag}" is not a BCP 47 language tag`);
    if (typeof text !== 'string') throw refuse(`SMS_TEMPLATES_FILE: the text for "${tag}" is not a string`);
    texts.set(language, text);
  }
  return texts;
}

/**
 * Every text the service can send, checked as the API starts: each has
 * `{code}` and no unknown placeholder, and, rendered with a CODE_LENGTH code,
 * SERVICE_NAME and the autofill lines, fits SMS_MAX_SEGMENTS segments (and
 * 140 bytes with SMS_ANDROID_APP_HASH). Throws ConfigError, one line naming
 * the language, otherwise.
 *
 * The texts: the built-in ones, `en` replaced by SMS_TEMPLATE, then
 * SMS_TEMPLATES_FILE's over both.
 */
export function loadMessages(config: MessagesConfig, read = (path: string) => readFileSync(path, 'utf8')): Messages {
  const texts = new Map(Object.entries({ ...BUILT_IN_TEMPLATES, en: config.SMS_TEMPLATE }));
  const fromFile = config.SMS_TEMPLATES_FILE ? readTemplatesFile(config.SMS_TEMPLATES_FILE, read) : new Map();
  for (const [language, text] of fromFile) texts.set(language, text);
  const source = (language: string) =>
    fromFile.has(language) ? 'SMS_TEMPLATES_FILE' : language === 'en' ? 'SMS_TEMPLATE' : 'built-in';

  const defaultLanguage = lookupLanguage(config.SMS_DEFAULT_LANGUAGE, new Set(texts.keys()));
  if (!defaultLanguage) {
    throw refuse(`SMS_DEFAULT_LANGUAGE "${config.SMS_DEFAULT_LANGUAGE}" has no text (add one in SMS_TEMPLATES_FILE)`);
  }
  const messages = new Messages({
    texts,
    defaultLanguage,
    serviceName: config.SERVICE_NAME,
    minutes: Math.max(1, Math.floor(config.CODE_TTL_SECONDS / 60)),
    webOtpDomain: config.SMS_WEBOTP_DOMAIN,
    appHash: config.SMS_ANDROID_APP_HASH,
  });

  const longestCode = '9'.repeat(config.CODE_LENGTH);
  for (const [language, text] of texts) {
    const where = `the SMS text for "${language}" (${source(language)})`;
    const unknown = unknownPlaceholders(text);
    if (unknown.length > 0) throw refuse(`${where} has an unknown placeholder {${unknown[0]}}`);
    if (!text.includes('{code}')) throw refuse(`${where} has no {code}`);
    const sms = messages.render(language, longestCode);
    if (sms.segments > config.SMS_MAX_SEGMENTS) {
      throw refuse(
        `${where} is ${sms.segments} SMS segments (${sms.encoding}, ${sms.body.length} characters with the code` +
          ` and autofill lines), more than SMS_MAX_SEGMENTS=${config.SMS_MAX_SEGMENTS}`,
      );
    }
    if (config.SMS_ANDROID_APP_HASH && sms.bytes > RETRIEVER_MAX_BYTES) {
      throw refuse(
        `${where} is ${sms.bytes} bytes (${sms.encoding}) with the code and autofill lines; ` +
          `with SMS_ANDROID_APP_HASH the SMS Retriever API needs at most ${RETRIEVER_MAX_BYTES}`,
      );
    }
  }
  return messages;
}
