import { Type, type Static } from '@sinclair/typebox';
import { LANGUAGE_PATTERN } from '@sms/config';
import { Id } from './common';

const Phone = Type.String({
  minLength: 1,
  maxLength: 32,
  description: 'international form (E.123/E.164): +380508308443, +7 912 345 67 89, +380 (50) 830-84-43',
  examples: ['+380508308443'],
});

const Language = Type.String({
  pattern: LANGUAGE_PATTERN,
  maxLength: 35,
  description:
    'BCP 47 language of the SMS (uk, pt-BR); kept with the settings. Without it: Accept-Language, then the ' +
    'language kept, then the server default. A language without a text falls back (pt-BR → pt → the default).',
  examples: ['uk'],
});

export const UserIdParams = Type.Object({ user_id: Id }, { additionalProperties: false });
export type UserIdParams = Static<typeof UserIdParams>;

export const ResendBody = Type.Object(
  { phone: Phone, language: Type.Optional(Language) },
  { additionalProperties: false },
);
export type ResendBody = Static<typeof ResendBody>;

export const VerifyBody = Type.Object(
  { phone: Phone, code: Type.String({ pattern: '^[0-9]{1,16}$', description: 'the digits received by SMS' }) },
  { additionalProperties: false },
);
export type VerifyBody = Static<typeof VerifyBody>;

export const PutSettingsBody = Type.Object(
  {
    phone: Phone,
    verified: Type.Optional(Type.Boolean({ description: 'true: admins only (marks the phone verified, no SMS)' })),
    id: Type.Optional(Id),
    language: Type.Optional(Language),
  },
  { additionalProperties: false },
);
export type PutSettingsBody = Static<typeof PutSettingsBody>;

const NullablePhone = Type.Union([Type.String(), Type.Null()], { description: 'E.164, null when not set' });

export const SmsSettings = Type.Object(
  {
    phone: NullablePhone,
    verified: Type.Boolean(),
    id: Id,
    language: Type.Union([Type.String(), Type.Null()], {
      description: 'the language asked for the SMS (BCP 47); null when none was (the server default)',
    }),
  },
  { $id: 'SmsSettings', title: 'SmsSettings' },
);

export const SmsSettingsUpdate = Type.Object(
  {
    phone: NullablePhone,
    ver_code: Type.Union([Type.String(), Type.Null()], {
      description: 'always null unless the server runs with EXPOSE_VERIFICATION_CODE=true (test environments)',
    }),
    ver_expire_time: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    verified: Type.Boolean(),
    id: Id,
  },
  { $id: 'SmsSettingsUpdate', title: 'SmsSettingsUpdate' },
);
