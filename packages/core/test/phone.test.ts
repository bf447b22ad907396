import t from 'tap';
import { normalizePhone, phoneCountry, textablePhone } from '../src/phone';

const wrongPhone = { status: 400, code: 'WRONG_PHONE', details: { field: 'phone' } };
const countryNotAllowed = { status: 400, code: 'COUNTRY_NOT_ALLOWED', details: { field: 'phone' } };

t.test('an international number, however it is written, becomes E.164', async (t) => {
  for (const input of ['+380508308443', '+38 (050) 830-84-43', '+38.050.830.84.43', '+38 050 830 84 43']) {
    t.equal(normalizePhone(input), '+380508308443', input);
  }
  t.equal(normalizePhone('+7 912 345 67 89'), '+79123456789', 'E.123 with spaces');
  t.equal(normalizePhone('+1 202 456 1111'), '+12024561111');
  t.equal(normalizePhone('+44 20 7946 0958'), '+442079460958', 'a landline');
});

t.test('a number without its country code is refused: the country would be a guess', async (t) => {
  for (const input of ['0508308443', '380508308443', '00380508308443']) {
    t.throws(() => normalizePhone(input), wrongPhone, input);
  }
});

t.test('what is not a possible, valid number is refused with WRONG_PHONE', async (t) => {
  for (const input of [
    '',
    '+',
    '+380 12',
    '+38050830844', // one digit short for a Ukrainian mobile
    '+38050830844a',
    '+380508308443 ext 1',
    '+999 123 456 789', // no such country code
    `+380${'1'.repeat(40)}`,
  ]) {
    t.throws(() => normalizePhone(input), wrongPhone, JSON.stringify(input));
  }
});

t.test('allowed countries: others are refused with COUNTRY_NOT_ALLOWED, none listed allows all', async (t) => {
  const allowed = ['UA', 'PL'];
  t.equal(normalizePhone('+380508308443', allowed), '+380508308443');
  t.equal(normalizePhone('+48 512 345 678', allowed), '+48512345678');
  t.throws(() => normalizePhone('+7 912 345 67 89', allowed), countryNotAllowed);
  t.throws(() => normalizePhone('+1 202 456 1111', allowed), countryNotAllowed);
  t.equal(normalizePhone('+7 912 345 67 89', []), '+79123456789');
  t.throws(() => normalizePhone('+38050830844', allowed), wrongPhone, 'an invalid number stays WRONG_PHONE');
});

t.test('textablePhone: only the allowed number types, never a non-geographic number', async (t) => {
  const allowed = { countries: [], types: ['MOBILE', 'FIXED_LINE_OR_MOBILE'] };
  const typeNotAllowed = { code: 'PHONE_TYPE_NOT_ALLOWED' };
  t.same(textablePhone('+380 50 830 84 43', allowed), { phone: '+380508308443', country: 'UA' });
  t.same(textablePhone('+1 201 555 0123', allowed), { phone: '+12015550123', country: 'US' }, 'NANP: mobile or fixed');
  for (const refused of ['+380441234567', '+449098790000', '+881612345678', '+979123456789']) {
    t.throws(() => textablePhone(refused, allowed), typeNotAllowed, refused);
  }
  t.same(textablePhone('+380441234567', { countries: [], types: ['FIXED_LINE'] }).country, 'UA', 'types are the list');
  t.throws(() => textablePhone('+48512345678', { ...allowed, countries: ['UA'] }), { code: 'COUNTRY_NOT_ALLOWED' });
});

t.test('text around the number is refused, not read past', async (t) => {
  for (const input of ['tel:+48512345678', 'call +48512345678', 'x+48512345678']) {
    t.throws(() => normalizePhone(input), wrongPhone, input);
  }
});

t.test('phoneCountry: the country of a phone for metrics, ZZ when it has none', async (t) => {
  t.equal(phoneCountry('+48512345678'), 'PL');
  t.equal(phoneCountry('+380508308443'), 'UA');
  t.equal(phoneCountry('+881612345678'), 'ZZ', 'non-geographic');
  t.equal(phoneCountry('not a phone'), 'ZZ');
});
