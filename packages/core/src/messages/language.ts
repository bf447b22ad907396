import { LANGUAGE_PATTERN } from '@sms/config';
const WELL_FORMED = new RegExp(LANGUAGE_PATTERN);

/** The tag in its canonical case (`pt-br` → `pt-BR`), or null when it is not a language tag (`*`, `garbage!`). */
export function canonicalLanguage(tag: string): string | null {
  if (!WELL_FORMED.test(tag)) return null;
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * The language among `available` (canonical tags) that serves `tag`: the tag
 * itself, else the tag with its last subtag dropped, and so on
 * (`pt-BR` → `pt`); null when none does.
 */
export function lookupLanguage(tag: string, available: ReadonlySet<string>): string | null {
  const subtags = (canonicalLanguage(tag) ?? '').split('-');
  for (let n = subtags.length; n > 0; n--) {
    const candidate = subtags.slice(0, n).join('-');
    if (available.has(candidate)) return candidate;
  }
  return null;
}
