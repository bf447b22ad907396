import { Type, type Static } from '@sinclair/typebox';
import { LOGIN_PATTERN } from '@sms/config';
import { Id } from './common';

const Login = Type.String({ pattern: LOGIN_PATTERN, description: '3–64 of A-Z a-z 0-9 . _ @ + -' });
const Password = Type.String({ minLength: 8, maxLength: 128 });

export const SignupBody = Type.Object(
  {
    login: Login,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    password: Password,
    email: Type.Optional(Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 320 })),
  },
  { additionalProperties: false },
);
export type SignupBody = Static<typeof SignupBody>;

export const SigninBody = Type.Object(
  { login: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
export type SigninBody = Static<typeof SigninBody>;

export const Account = Type.Object(
  {
    id: Id,
    login: Type.String(),
    name: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    admin: Type.Boolean(),
    create_time: Type.String({ format: 'date-time' }),
  },
  { $id: 'Account', title: 'Account' },
);

export const Session = Type.Object(
  {
    id: Type.String({ description: 'send as the x-session-id header' }),
    user_id: Id,
    user_name: Type.String(),
    admin: Type.Boolean(),
    open_time: Type.String({ format: 'date-time' }),
    expire_time: Type.String({ format: 'date-time' }),
  },
  { title: 'Session' },
);

/** Page defaults: the schema's (the validator applies them) and the handler's fallback for its types. */
export const PAGE = { skip: 0, take: 100 } as const;

export const AccountsQuery = Type.Object(
  {
    // Optional on the wire; the validator fills in the defaults, so handlers always see numbers.
    skip: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000000, default: PAGE.skip })),
    take: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: PAGE.take })),
  },
  { additionalProperties: false },
);
export type AccountsQuery = Static<typeof AccountsQuery>;

export const AccountList = Type.Object({ data: Type.Array(Type.Ref(Account)), total: Type.Integer() });
