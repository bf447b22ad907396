export { BUILT_IN_TEMPLATES } from './templates';
export { ENCODING_COLUMN, measureSms, type SmsEncoding, type SmsSize } from './segments';
export { canonicalLanguage, lookupLanguage } from './language';
export { Messages, PLACEHOLDERS, type RenderedSms, type MessageParts } from './render';
export { loadMessages, type MessagesConfig } from './load';
