import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '@sms/config';
import { Id } from './common';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const Time = Type.String({ format: 'date-time' });

const STATUS = ['queued', 'sending', 'sent', 'failed'];
const DELIVERY_STATUS = ['delivered', 'delivery_failed', 'expired'];

export const SmsMessagesQuery = Type.Object(
  {
    user_id: Type.Optional(Id),
    status: Type.Optional(StringEnum(STATUS, { description: 'our sending status' })),
    delivery_status: Type.Optional(StringEnum(DELIVERY_STATUS, { description: "the provider's final report" })),
    skip: Type.Integer({ minimum: 0, maximum: 1000000, default: 0 }),
    take: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);
export type SmsMessagesQuery = Static<typeof SmsMessagesQuery>;

/** A message as operators see it: never its body (it may carry a live code). */
export const SmsMessage = Type.Object(
  {
    id: Id,
    user_id: Type.Union([Id, Type.Null()], { description: 'null once the account is deleted' }),
    recipient: Type.String({ description: 'E.164' }),
    status: StringEnum(STATUS, { description: 'queued → sending → sent | failed' }),
    attempts: Type.Integer(),
    provider: Nullable(
      Type.String({ description: 'the provider of SMS_TRANSPORT that accepted it: messagebird, bird, http, log' }),
    ),
    provider_message_id: Nullable(Type.String({ description: 'its id at that provider' })),
    last_error: Nullable(Type.String()),
    delivery_status: Type.Union([StringEnum(DELIVERY_STATUS, { description: 'from delivery reports' }), Type.Null()]),
    delivery_time: Nullable(Time),
    delivery_error: Nullable(Type.String()),
    create_time: Time,
    update_time: Time,
    sent_time: Nullable(Time),
    language: Nullable(Type.String({ description: 'language of the text sent (BCP 47); null on older rows' })),
    encoding: Type.Union([
      StringEnum(['GSM-7', 'UCS-2'], { description: 'GSM-7 when every character is in its alphabet, else UCS-2' }),
      Type.Null(),
    ]),
    segments: Type.Union([Type.Integer({ description: 'SMS segments the text takes: what it costs' }), Type.Null()]),
  },
  { $id: 'SmsMessage', title: 'SmsMessage' },
);

export const SmsMessageList = Type.Object({ data: Type.Array(Type.Ref(SmsMessage)), total: Type.Integer() });
