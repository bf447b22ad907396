import type { Account, Session, SmsMessage, SmsSettings } from '../generated/client';

/**
 * The table behind each model and its column names (the @map of each field),
 * checked against the generated model types: a field added, removed or renamed
 * in schema.prisma fails to compile here, and the repository tests check the
 * names against the migrated tables. The repositories' row types derive from
 * these (Row below), so a query reading a renamed column fails to compile.
 */
export const tables = {
  accounts: {
    id: 'id',
    login: 'login',
    name: 'name',
    email: 'email',
    passwordHash: 'password_hash',
    admin: 'admin',
    createTime: 'create_time',
  } as const satisfies Columns<Account>,
  sessions: {
    idHash: 'id_hash',
    userId: 'user_id',
    openTime: 'open_time',
    expireTime: 'expire_time',
  } as const satisfies Columns<Session>,
  sms_settings: {
    userId: 'user_id',
    phone: 'phone',
    verified: 'verified',
    verifiedPhone: 'verified_phone',
    codeHash: 'code_hash',
    codeExpireTime: 'code_expire_time',
    codeAttempts: 'code_attempts',
    language: 'language',
    updateTime: 'update_time',
  } as const satisfies Columns<SmsSettings>,
  sms_messages: {
    id: 'id',
    userId: 'user_id',
    recipient: 'recipient',
    body: 'body',
    status: 'status',
    attempts: 'attempts',
    provider: 'provider',
    providerMessageId: 'provider_message_id',
    lastError: 'last_error',
    leaseExpireTime: 'lease_expire_time',
    dueTime: 'due_time',
    createTime: 'create_time',
    updateTime: 'update_time',
    sentTime: 'sent_time',
    deliveryStatus: 'delivery_status',
    deliveryTime: 'delivery_time',
    deliveryError: 'delivery_error',
    statusDatetime: 'status_datetime',
    language: 'language',
    encoding: 'encoding',
    segments: 'segments',
  } as const satisfies Columns<SmsMessage>,
};

type Columns<Model> = { readonly [Field in keyof Model]: string };

interface Models {
  accounts: Account;
  sessions: Session;
  sms_settings: SmsSettings;
  sms_messages: SmsMessage;
}

/** BOOLEAN columns come back from the driver as 0/1; every other type as Prisma has it. */
type DriverValue<T> = T extends boolean ? number : T;

/**
 * A row of `table` as plain SQL returns it: the columns of `fields`, keyed by
 * column name, typed as the model's fields.
 */
export type Row<Table extends keyof Models, Field extends keyof Models[Table] & keyof Tables[Table]> = {
  [F in Field as Tables[Table][F] & string]: DriverValue<Models[Table][F]>;
};

type Tables = typeof tables;
