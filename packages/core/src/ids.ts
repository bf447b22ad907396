import { randomBytes } from 'node:crypto';

/** A new id: 32 lowercase hex characters (128 random bits), the API's id format. */
export const newId = (): string => randomBytes(16).toString('hex');

export const ID_PATTERN = '^[0-9a-f]{32}$';
