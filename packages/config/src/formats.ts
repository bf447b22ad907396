import { Type } from '@sinclair/typebox';

// Formats (and the enum helper) that several packages validate and must agree on: config (ADMIN_LOGIN),
// jobs (the payload's message id), core (session ids) and the API's schemas.
// They sit here because every other package already depends on config.

/** Every id the service makes (accounts, sessions, messages): 32 lowercase hex characters. */
export const ID_PATTERN = '^[0-9a-f]{32}$';

/** A login: 3–64 of A-Z a-z 0-9 . _ @ + - */
export const LOGIN_PATTERN = '^[A-Za-z0-9._@+-]{3,64}$';

/** A comma-separated variable's entries, trimmed, empty ones dropped. */
export const commaList = (value = ''): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * A string enum as a plain JSON Schema `enum` (Type.Unsafe): a bad value is
 * reported with the allowed ones, and the OpenAPI document lists them, where a
 * union of literals would render as anyOf of consts.
 */
export const StringEnum = <const T extends string>(
  values: readonly T[],
  options: { default?: T; description?: string } = {},
) => Type.Unsafe<T>({ type: 'string', enum: values, ...options });

/** A well-formed BCP 47 language tag (`uk`, `pt-BR`, `zh-Hant-TW`); whether a text exists for it is another matter. */
export const LANGUAGE_PATTERN = '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,7}$';
