import { Type } from '@sinclair/typebox';
import { LANGUAGE_PATTERN } from './formats';

const DOMAIN = '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';

/**
 * The SMS texts: languages, segments, autofill lines and test numbers
 * (docs/messages.md). The texts themselves are checked by @sms/core's
 * loadMessages as the API starts, since checking them means rendering them.
 */
export const messageVariables = {
  SMS_DEFAULT_LANGUAGE: Type.String({
    pattern: LANGUAGE_PATTERN,
    default: 'en',
    description:
      'Language (BCP 47) of the SMS when the request names none (`language`, then `Accept-Language`) and the ' +
      'settings keep none; it must have a text (`pt-BR` is served by `pt`). Built-in: en, uk, ru, pl, de, fr, es, ' +
      'pt, it, tr.',
  }),
  SMS_TEMPLATES_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Path of a JSON file `{"<language>": "<template>"}` whose texts override the built-in ones or add ' +
        'languages. Placeholders: `{code}` (required), `{service}`, `{minutes}`. Every text is checked at start.',
    }),
  ),
  SMS_MAX_SEGMENTS: Type.Integer({
    minimum: 1,
    maximum: 10,
    default: 1,
    description:
      'Most SMS segments a text may take, rendered with a `CODE_LENGTH` code, `SERVICE_NAME` and the autofill ' +
      'lines (GSM-7: 160 characters, 153 a part; UCS-2: 70, 67 a part); a longer text stops the start.',
  }),
  SMS_WEBOTP_DOMAIN: Type.Optional(
    Type.String({
      pattern: DOMAIN,
      maxLength: 253,
      description:
        'Host of the web page that asks for the code (`example.com`): every SMS ends with the line ' +
        '`@example.com #<code>`, so browsers fill the code in (WebOTP, origin-bound one-time codes).',
    }),
  ),
  SMS_ANDROID_APP_HASH: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9+/]{11}$',
      description:
        'The Android app’s 11-character hash (SMS Retriever API), on a line of its own before the WebOTP line ' +
        '(or last); with it every SMS must fit 140 bytes, checked at start.',
    }),
  ),
  SMS_TEST_NUMBERS: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Comma-separated `<phone>=<code>` pairs (`+15555550100=123456`), codes of `CODE_LENGTH` digits: these ' +
        'phones are never texted, their fixed code verifies. Per-phone limits apply; country and number-type ' +
        'filters do not. Each use is logged (phone masked) and counted in `sms_test_number_uses_total`.',
    }),
  ),
  SMS_TEST_NUMBERS_UNTIL: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'ISO 8601 date after which `SMS_TEST_NUMBERS` stop working; required with them when ' +
        '`NODE_ENV=production`; a date in the past stops the start.',
    }),
  ),
};
