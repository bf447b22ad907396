export { AppError, ErrorCode, errors } from './errors';
export { AccountsService, type Caller } from './accounts';
export { SendLimiter } from './send-limiter';
export { SmsSettingsService } from './settings';
export { redactBody } from './redact';
