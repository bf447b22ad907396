import { randomBytes } from 'node:crypto';

/** A new id: 32 lowercase hex characters (128 random bits), the format @sms/config's ID_PATTERN checks. */
export const newId = (): string => randomBytes(16).toString('hex');
