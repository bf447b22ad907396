import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { errors } from './errors';

// International form only (the seed's E.123 "+7 AAA BBB BB BB"): a leading +,
// digits, and the separators people write: spaces, dashes, dots, brackets.
export const INTERNATIONAL_FORM = /^\+[0-9][0-9 ().-]{3,30}$/;

/**
 * Normalises a phone to E.164 (`+380508308443`), or throws WRONG_PHONE for an
 * impossible or invalid number and COUNTRY_NOT_ALLOWED outside `allowedCountries`
 * (ISO alpha-2; empty means all).
 */
export function normalizePhone(input: string, allowedCountries: readonly string[] = []): string {
  if (!INTERNATIONAL_FORM.test(input)) throw errors.wrongPhone();
  const parsed = parsePhoneNumberFromString(input);
  if (!parsed || !parsed.isValid()) throw errors.wrongPhone();
  if (allowedCountries.length > 0 && !(parsed.country && allowedCountries.includes(parsed.country))) {
    throw errors.countryNotAllowed();
  }
  return parsed.number;
}

/**
 * The ISO 3166 alpha-2 country of an E.164 phone, or `ZZ` (unknown region):
 * a bounded metrics label that never carries the number itself.
 */
export function phoneCountry(phone: string): string {
  return parsePhoneNumberFromString(phone)?.country ?? 'ZZ';
}

/**
 * For requests that send an SMS: the phone normalised as by normalizePhone,
 * and its country (`001` for non-geographic numbers), or PHONE_TYPE_NOT_ALLOWED
 * when its type (full metadata) is not in `allowedTypes`. Non-geographic
 * numbers (satellite +881, international premium +979, global freephone +800)
 * are refused whatever their type: no subscriber is verified on them, and
 * they are where pumped SMS earn the most.
 */
export function textablePhone(
  input: string,
  allowed: { countries: readonly string[]; types: readonly string[] },
): { phone: string; country: string } {
  const phone = normalizePhone(input, allowed.countries);
  const parsed = parsePhoneNumberFromString(phone);
  // Stryker disable next-line OptionalChaining: normalizePhone above has parsed this very string
  const type = parsed?.getType();
  // Stryker disable next-line OptionalChaining: as above
  if (!parsed?.country || !type || !allowed.types.includes(type)) throw errors.phoneTypeNotAllowed();
  return { phone, country: parsed.country };
}
