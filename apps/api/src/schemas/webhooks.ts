import { Type } from '@sinclair/typebox';
import { StringEnum } from '@sms/config';
import { BIRD_METADATA_KEY } from '@sms/jobs';

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
    description:
      'applied; stale (older than what is recorded, or the message is already delivered); ' +
      'unknown message (or an event about none of our messages)',
  }),
});

/** The Standard Webhooks headers every Bird and http provider delivery carries. */
export const StandardWebhookHeaders = Type.Object(
  {
    'webhook-id': Type.String({ description: 'Id of the delivery; the same on its retries' }),
    'webhook-timestamp': Type.String({ description: 'Seconds since the epoch when it was signed' }),
    'webhook-signature': Type.String({
      description: 'Space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>` signatures',
    }),
  },
  { additionalProperties: true },
);

const BirdSmsError = Type.Object(
  {
    code: Type.String({ maxLength: 64, description: 'invalid_destination, unreachable, blocked_by_carrier…' }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    carrier_error_code: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
    occurred_at: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: true },
);

// Only what we read; Bird adds fields and event types over time (its enums are
// open), and every event type of a subscription comes to the same URL.
export const BirdEvent = Type.Object(
  {
    type: Type.String({
      maxLength: 64,
      description: 'sms.accepted, sms.sent, sms.delivered, sms.undelivered, sms.failed, sms.rejected, sms.expired…',
    }),
    timestamp: Type.String({ maxLength: 64, description: 'RFC 3339: when the status changed' }),
    data: Type.Object(
      {
        sms_id: Type.Optional(Type.String({ maxLength: 64, description: "Bird's message id" })),
        metadata: Type.Optional(
          Type.Union([
            Type.Object(
              {
                [BIRD_METADATA_KEY]: Type.Optional(
                  Type.String({ maxLength: 100, description: 'our message id, sent by us' }),
                ),
              },
              { additionalProperties: true },
            ),
            Type.Null(),
          ]),
        ),
        error: Type.Optional(Type.Union([BirdSmsError, Type.Null()])),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);

/** The http provider's delivery report, as an operator's adapter sends it (docs/providers.md). */
export const HttpProviderReport = Type.Object(
  {
    message_id: Type.String({ maxLength: 100, description: 'our message id, as the SMS request carried it' }),
    status: StringEnum(['delivered', 'delivery_failed', 'expired'], { description: 'the final outcome' }),
    timestamp: Type.String({ maxLength: 64, description: 'ISO 8601: when the status changed' }),
    error: Type.Optional(Type.String({ maxLength: 500, description: 'why it failed, in the gateway’s words' })),
  },
  { additionalProperties: true },
);
