export { AppError, ErrorCode, errors } from './errors';
export { normalizePhone, phoneCountry } from './phone';
export { generateCode, hashCode, hashesMatch } from './codes';
export { hashPassword, verifyPassword } from './passwords';
export { AccountsService, type AccountView, type SessionView, type Caller } from './accounts';
export {
  SendLimiter,
  type AlertBudget,
  type LimitDecision,
  type Requester,
  type SendLimiterConfig,
} from './send-limiter';
export { FailureBudget, LimitKeys } from './budgets';
export { textablePhone } from './phone';
export { CodeSender, type CodeSenderConfig, type CodeSenderDeps, type Recipient } from './code-sender';
export * from './messages';
export { TestNumbers, type TestNumbersConfig } from './test-numbers';
export {
  SmsSettingsService,
  type SettingsConfig,
  type SettingsDeps,
  type SettingsView,
  type SettingsUpdateView,
  type Prefetched,
  type LanguageChoice,
} from './settings';
export { VerificationService, type VerificationDeps } from './verification';
export { maskPhone, redactBody } from './redact';
