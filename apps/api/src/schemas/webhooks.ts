import { Type } from '@sinclair/typebox';

// Only what we read; MessageBird may add parameters (they are part of the signed URL, not rejected).
export const MessageBirdReportQuery = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: 64, description: "MessageBird's message id" })),
    reference: Type.Optional(Type.String({ maxLength: 100, description: 'our message id' })),
    recipient: Type.Optional(Type.String({ maxLength: 32 })),
    status: Type.Optional(
      Type.String({ maxLength: 32, description: 'scheduled, sent, buffered, delivered, expired, delivery_failed' }),
    ),
    statusDatetime: Type.Optional(Type.String({ maxLength: 64, description: 'RFC 3339' })),
    statusErrorCode: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { additionalProperties: true },
);

export const WebhookAnswer = Type.Object({
  result: Type.Union([Type.Literal('applied'), Type.Literal('stale'), Type.Literal('unknown')], {
    description: 'applied; stale (older than what is recorded, or the message is already delivered); unknown message',
  }),
});
