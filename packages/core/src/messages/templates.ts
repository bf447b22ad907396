/**
 * The built-in SMS texts, one per language (BCP 47 primary tag), in the
 * phrasing people of each language are used to in verification SMS. Each fits
 * one SMS segment with a 10-digit code, a 40-character SERVICE_NAME (its
 * maximum) and neither autofill line (test/messages.test.ts checks it). Texts
 * whose language needs letters outside GSM-7 (Cyrillic; Polish ó; Spanish and
 * Portuguese ó; Turkish ğ) are sent as UCS-2, 70 characters a segment, so
 * they leave out the lifetime.
 *
 * `en` is `SMS_TEMPLATE`'s default, so the seed's English SMS is unchanged;
 * `SMS_TEMPLATES_FILE` overrides or adds texts (docs/messages.md).
 */
export const BUILT_IN_TEMPLATES: Readonly<Record<string, string>> = {
  en: 'Your verification code is {code}',
  uk: '{service}: ваш код {code}',
  ru: '{service}: ваш код {code}',
  pl: '{service}: Twój kod to {code}',
  de: '{service}: Ihr Code lautet {code}. {minutes} Min. gültig.',
  fr: '{service} : votre code est {code}. Valable {minutes} min.',
  es: '{service}: tu código es {code}',
  pt: '{service}: o seu código é {code}',
  it: '{service}: il tuo codice è {code}. Valido {minutes} min.',
  tr: '{service} doğrulama kodunuz: {code}',
};
