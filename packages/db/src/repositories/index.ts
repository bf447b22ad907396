import type { Db } from '../db';
import { AccountsRepository } from './accounts';
import { SessionsRepository } from './sessions';
import { SmsMessagesRepository } from './sms-messages';
import { SmsSettingsRepository } from './sms-settings';
import { SmsDeliveriesRepository } from './sms-deliveries';

export { AccountsRepository, type NewAccount } from './accounts';
export { SessionsRepository, type SessionHolder } from './sessions';
export { SmsSettingsRepository, type SettingsState } from './sms-settings';
export { SmsMessagesRepository, type ClaimedMessage, type ClaimOutcome, type NewMessage } from './sms-messages';
export {
  SmsDeliveriesRepository,
  type DeliveryReport,
  type MessageFilter,
  type MessageView,
  type ReportOutcome,
} from './sms-deliveries';
export { tables } from './columns';

export interface Repositories {
  accounts: AccountsRepository;
  sessions: SessionsRepository;
  smsSettings: SmsSettingsRepository;
  smsMessages: SmsMessagesRepository;
  smsDeliveries: SmsDeliveriesRepository;
}

export function createRepositories(db: Db): Repositories {
  return {
    accounts: new AccountsRepository(db),
    sessions: new SessionsRepository(db),
    smsSettings: new SmsSettingsRepository(db),
    smsMessages: new SmsMessagesRepository(db),
    smsDeliveries: new SmsDeliveriesRepository(db),
  };
}
