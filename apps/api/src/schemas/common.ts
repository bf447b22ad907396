import { Type, type TSchema } from '@sinclair/typebox';
import { ID_PATTERN, StringEnum } from '@sms/config';
import { ErrorCode } from '@sms/core';

export const Id = Type.String({ pattern: ID_PATTERN, description: '32 lowercase hex characters' });

const Code = StringEnum(Object.values(ErrorCode), { description: 'stable error code' });

export const ErrorBody = Type.Object(
  {
    code: Code,
    status: Type.Integer(),
    message: Type.String(),
    correlation_id: Type.String({ description: 'same as the x-request-id response header' }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'ErrorBody', title: 'Error' },
);

/** Error responses a route can give, as schema refs for its `response` map. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref(ErrorBody)]));
}

/** Routes that need `x-session-id`: shown as a security scheme in the OpenAPI document. */
export const sessionSecurity = [{ session: [] }];
