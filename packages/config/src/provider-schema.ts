import { Type } from '@sinclair/typebox';

/**
 * The SMS providers' variables: part of the one config schema (schema.ts),
 * kept apart because they come and go with the providers.
 */

/** The SMS_TRANSPORT providers, each with the variable it cannot do without (log needs none). */
export const SMS_TRANSPORTS = {
  messagebird: 'MESSAGEBIRD_ACCESS_KEY',
  bird: 'BIRD_ACCESS_KEY',
  http: 'SMS_HTTP_URL',
  log: null,
} as const;

/** How the worker sends: transport, keys, sender, timeouts. */
export const providerVariables = {
  SMS_TRANSPORT: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'The providers, in order of preference, comma-separated (`bird,http`); each SMS goes to the first healthy ' +
        'one (docs/providers.md). `messagebird` sends through MessageBird’s legacy REST API (legacy keys); `bird` ' +
        'through Bird’s platform API (keys made on Bird today, `BIRD_ACCESS_KEY`); `http` POSTs each SMS, signed, ' +
        'to `SMS_HTTP_URL` (any gateway through a small adapter); `log` writes each SMS as one JSON line with `to` ' +
        'and `body` on the worker’s output. ' +
        'Unset: `messagebird` when `MESSAGEBIRD_ACCESS_KEY` is set, else `log` — except with `NODE_ENV=production`, ' +
        'where `log` must be named explicitly and neither set stops the start.',
    }),
  ),
  SMS_PROVIDER_FAILURE_THRESHOLD: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 5,
    description:
      'Retryable failures in a row (5xx, 429, timeouts, network errors) after which a provider is unhealthy and ' +
      'skipped until its cool-down ends.',
  }),
  SMS_PROVIDER_COOLDOWN_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 86400,
    default: 30,
    description:
      'How long an unhealthy provider is skipped; then one message probes it, and a success makes it healthy.',
  }),
  SMS_HTTP_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s]+$',
      description:
        'Where the `http` provider POSTs each SMS; required with it. `https://` is required when ' +
        '`NODE_ENV=production`, except for a loopback address (an adapter beside the worker).',
    }),
  ),
  SMS_HTTP_SECRET: Type.Optional(
    Type.String({
      pattern: '^whsec_([A-Za-z0-9+/]{4}){4,}([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
      description:
        'Standard Webhooks secret (`whsec_` and base64 of at least 12 bytes: `echo whsec_$(openssl rand -base64 32)`) ' +
        'that signs the `http` provider’s requests and checks its delivery reports; required with `http`.',
    }),
  ),
  SMS_HTTP_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 60000,
    default: 5000,
    description:
      'Longest an `http` provider request may take, connection included; then it is retried as possibly sent.',
  }),
  MESSAGEBIRD_ACCESS_KEY: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'MessageBird (classic) access key; required when `SMS_TRANSPORT=messagebird`.',
    }),
  ),
  MESSAGEBIRD_ORIGINATOR: Type.String({
    pattern: '^([A-Za-z0-9 ]{1,11}|\\+?[0-9]{1,17})$',
    default: 'Verify',
    description: 'Sender shown on the phone: up to 11 alphanumeric characters, or a phone number.',
  }),
  MESSAGEBIRD_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 60000,
    default: 5000,
    description: 'Socket idle timeout of a MessageBird request.',
  }),
  BIRD_ACCESS_KEY: Type.Optional(
    Type.String({
      pattern: '^bk_[a-z]{2}[0-9]+_[^\\s]+$',
      description:
        'Bird platform API key (`bk_<region>_…`, from Bird’s dashboard); required when `SMS_TRANSPORT=bird`. ' +
        'Its region picks the host: `bk_eu1_…` sends to `https://eu1.platform.bird.com`.',
    }),
  ),
  BIRD_FROM: Type.String({
    pattern: '^(\\+[0-9]{6,15}|[0-9]{5,6}|(?=[A-Za-z0-9 _-]*[A-Za-z])[A-Za-z0-9 _-]{1,11})$',
    default: 'Verify',
    description:
      'Sender of `SMS_TRANSPORT=bird`: a number of the workspace (E.164), a 5–6 digit short code, or 1–11 letters, ' +
      'digits, spaces, `-` or `_` with at least one letter, where the destination country allows one.',
  }),
  BIRD_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 60000,
    default: 5000,
    description: 'Longest a Bird send may take, connection included; then it is retried as possibly sent.',
  }),
};

/** How the API takes the providers' delivery reports. */
export const deliveryReportVariables = {
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^/?#]+$',
      description:
        'Scheme and host the provider calls (`https://sms.example.com`): SMS ask for delivery reports there, ' +
        'and report signatures are checked against it (docs/delivery-reports.md).',
    }),
  ),
  MESSAGEBIRD_SIGNING_KEY: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Signing key of the MessageBird dashboard; delivery reports are refused (401) without it.',
    }),
  ),
  BIRD_SIGNING_KEY: Type.Optional(
    Type.String({
      pattern: '^(whsec_)?([A-Za-z0-9+/]{4}){4,}([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
      description:
        'Signing secret of the Bird webhook subscription (`whsec_` and base64, as Bird shows it); Bird’s status ' +
        'webhooks are refused (401) without it.',
    }),
  ),
};
