// The SMS texts: segment counting, languages, autofill lines and the checks
// made at start. No database: rendering is pure.
import t from 'tap';
import { BUILT_IN_TEMPLATES, loadMessages, measureSms, type MessagesConfig } from '../src/messages';

const base: MessagesConfig = {
  SMS_TEMPLATE: 'Your verification code is {code}',
  SMS_DEFAULT_LANGUAGE: 'en',
  SMS_MAX_SEGMENTS: 1,
  SERVICE_NAME: 'SMS verification',
  CODE_LENGTH: 6,
  CODE_TTL_SECONDS: 600,
};
const noFile = (path: string): string => {
  throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' });
};
const file = (json: unknown) => () => JSON.stringify(json);
/** The one line a refused configuration stops the start with. */
const refusal = (config: Partial<MessagesConfig>, read: (path: string) => string = noFile): string => {
  try {
    loadMessages({ ...base, ...config }, read);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

t.test('segments: GSM-7 160 characters, 153 a part; UCS-2 70, 67 a part', async (t) => {
  const cases: [string, string, 'GSM-7' | 'UCS-2', number][] = [
    ['160 GSM-7 letters', 'a'.repeat(160), 'GSM-7', 1],
    ['161', 'a'.repeat(161), 'GSM-7', 2],
    ['306 = 2 × 153', 'a'.repeat(306), 'GSM-7', 2],
    ['307', 'a'.repeat(307), 'GSM-7', 3],
    ['extension characters count two: 80 €', '€'.repeat(80), 'GSM-7', 1],
    ['81 €', '€'.repeat(81), 'GSM-7', 2],
    ['basic-set accents stay GSM-7', 'é'.repeat(160), 'GSM-7', 1],
    ['70 Cyrillic letters', 'я'.repeat(70), 'UCS-2', 1],
    ['71', 'я'.repeat(71), 'UCS-2', 2],
    ['134 = 2 × 67', 'я'.repeat(134), 'UCS-2', 2],
    ['135', 'я'.repeat(135), 'UCS-2', 3],
    ['one non-GSM letter turns 160 characters into UCS-2', `${'a'.repeat(159)}ç`, 'UCS-2', 3],
    ['an emoji is two UTF-16 code units: 35 fit', '😀'.repeat(35), 'UCS-2', 1],
    ['36 do not', '😀'.repeat(36), 'UCS-2', 2],
  ];
  for (const [what, text, encoding, segments] of cases) {
    t.match(measureSms(text), { encoding, segments }, what);
  }
  t.equal(measureSms('a'.repeat(160)).bytes, 140, '160 septets are 140 bytes');
  t.equal(measureSms('я'.repeat(70)).bytes, 140, '70 UCS-2 characters are 140 bytes');
});

t.test('every built-in text fits one segment with a 10-digit code and a 40-character service name', async (t) => {
  const languages = ['en', 'uk', 'ru', 'pl', 'de', 'fr', 'es', 'pt', 'it', 'tr'];
  t.same(Object.keys(BUILT_IN_TEMPLATES).sort(), [...languages].sort());
  const messages = loadMessages({ ...base, CODE_LENGTH: 10, CODE_TTL_SECONDS: 86400, SERVICE_NAME: 'S'.repeat(40) });
  for (const language of languages) {
    const sms = messages.render(language, '1234567890');
    t.equal(sms.language, language);
    t.match(sms.body, /1234567890/, `${language}: the code is in it`);
    t.notMatch(sms.body, /[{}]/, `${language}: no placeholder left`);
    const budget = sms.encoding === 'GSM-7' ? 160 : 70;
    t.equal(sms.segments, 1, `${language}: ${sms.body.length} of ${budget} characters (${sms.encoding})`);
  }
  t.equal(messages.render('uk', '1234567890').encoding, 'UCS-2', 'Cyrillic is UCS-2');
  t.equal(messages.render('de', '1234567890').encoding, 'GSM-7', 'German umlauts are in GSM-7');
});

t.test('placeholders: {service}, {code} and {minutes} filled in one pass', async (t) => {
  const messages = loadMessages({ ...base, SERVICE_NAME: 'Shop {code}', CODE_TTL_SECONDS: 300 });
  t.equal(messages.render('de', '123456').body, 'Shop {code}: Ihr Code lautet 123456. 5 Min. gültig.');
  t.equal(messages.render('en', '123456').body, 'Your verification code is 123456', 'SMS_TEMPLATE is the English text');
  const short = loadMessages({ ...base, CODE_TTL_SECONDS: 59 });
  t.match(short.render('fr', '123456').body, /Valable 1 min\./, 'a lifetime under a minute says one');
});

t.test('languages fall back: region dropped, then the default; never an error', async (t) => {
  const messages = loadMessages(base);
  t.equal(messages.render('pt-BR', '123456').language, 'pt');
  t.equal(messages.render('UK', '123456').language, 'uk', 'case does not matter');
  t.equal(messages.render('xx', '123456').language, 'en');
  t.equal(messages.render(null, '123456').language, 'en');
  t.equal(loadMessages({ ...base, SMS_DEFAULT_LANGUAGE: 'uk' }).render('xx', '1').language, 'uk');
  t.equal(messages.firstServed(['xx', 'de-DE', 'en']), 'de-DE', 'the first served, as asked');
  t.equal(messages.firstServed(['xx', 'garbage!']), null);
});

t.test('SMS_TEMPLATES_FILE overrides and adds texts', async (t) => {
  const messages = loadMessages(
    { ...base, SMS_TEMPLATES_FILE: '/texts.json' },
    file({ en: '{service} code: {code}', 'pt-br': 'Seu código {code}', cs: 'Váš kód je {code}' }),
  );
  t.equal(messages.render('en', '111111').body, 'SMS verification code: 111111', 'the file wins over SMS_TEMPLATE');
  t.equal(messages.render('pt-BR', '111111').body, 'Seu código 111111');
  t.equal(messages.render('pt-PT', '111111').language, 'pt', 'the built-in pt still serves the rest');
  t.equal(messages.render('cs', '111111').body, 'Váš kód je 111111');
});

t.test('autofill: the app hash on its own line, then the WebOTP line last', async (t) => {
  const web = loadMessages({ ...base, SMS_WEBOTP_DOMAIN: 'example.com' });
  t.equal(web.render('en', '123456').body, 'Your verification code is 123456\n@example.com #123456');
  // Both lines leave a UCS-2 text 37 characters: the service name is short here so that every language fits.
  const both = loadMessages({
    ...base,
    SERVICE_NAME: 'Acme',
    SMS_WEBOTP_DOMAIN: 'example.com',
    SMS_ANDROID_APP_HASH: 'FA+9qCX9VSu',
  });
  const lines = both.render('uk', '123456').body.split('\n');
  t.same(lines, ['Acme: ваш код 123456', 'FA+9qCX9VSu', '@example.com #123456']);
  const app = loadMessages({ ...base, SMS_ANDROID_APP_HASH: 'FA+9qCX9VSu' });
  t.equal(app.render('en', '123456').body, 'Your verification code is 123456\nFA+9qCX9VSu');
});

t.test('a text the service cannot send stops the start with one line naming the language', async (t) => {
  const cases: [string, Partial<MessagesConfig>, RegExp, ((path: string) => string)?][] = [
    [
      'unknown placeholder',
      { SMS_TEMPLATE: 'Code {code} for {user}' },
      /"en" \(SMS_TEMPLATE\) has an unknown placeholder \{user\}/,
    ],
    [
      'no {code}',
      { SMS_TEMPLATES_FILE: '/t.json' },
      /"de" \(SMS_TEMPLATES_FILE\) has no \{code\}/,
      file({ de: 'Ihr Code kommt gleich' }),
    ],
    [
      'two segments',
      { SMS_TEMPLATES_FILE: '/t.json' },
      /"uk" \(SMS_TEMPLATES_FILE\) is 2 SMS segments \(UCS-2, 7\d characters .*\), more than SMS_MAX_SEGMENTS=1/,
      file({ uk: `${'ї'.repeat(65)} {code}` }),
    ],
    [
      'a built-in text made too long by the autofill lines',
      { SERVICE_NAME: 'S'.repeat(40), SMS_WEBOTP_DOMAIN: 'accounts.example.com' },
      /the SMS text for "uk" \(built-in\) is 2 SMS segments/,
    ],
    [
      'over 140 bytes with an app hash',
      { SMS_ANDROID_APP_HASH: 'FA+9qCX9VSu', SMS_MAX_SEGMENTS: 2, SMS_TEMPLATE: `${'a'.repeat(150)} {code}` },
      /"en" \(SMS_TEMPLATE\) is 1\d\d bytes .*SMS Retriever API needs at most 140/,
    ],
    ['a default without a text', { SMS_DEFAULT_LANGUAGE: 'cs' }, /SMS_DEFAULT_LANGUAGE "cs" has no text/],
    ['a missing file', { SMS_TEMPLATES_FILE: '/nope.json' }, /SMS_TEMPLATES_FILE cannot be read \(ENOENT\)/],
    ['not JSON', { SMS_TEMPLATES_FILE: '/t.json' }, /SMS_TEMPLATES_FILE is not valid JSON/, () => '{uk:'],
    ['not an object', { SMS_TEMPLATES_FILE: '/t.json' }, /must hold a JSON object/, file(['{code}'])],
    [
      'a bad tag',
      { SMS_TEMPLATES_FILE: '/t.json' },
      /"en us" is not a BCP 47 language tag/,
      file({ 'en us': '{code}' }),
    ],
    ['not a string', { SMS_TEMPLATES_FILE: '/t.json' }, /the text for "de" is not a string/, file({ de: 1 })],
  ];
  for (const [what, config, expected, read] of cases) {
    const line = refusal(config, read);
    t.match(line, expected, what);
    t.match(line, /^Invalid configuration: [^\n]+$/, `${what}: one line`);
  }
  t.equal(
    refusal({ SMS_MAX_SEGMENTS: 2, SMS_TEMPLATE: `${'a'.repeat(150)} {code}` }),
    'accepted',
    'two segments allowed',
  );
});
