// What every operation of the OpenAPI document says beyond its route's own
// schema: the answers any route can give and the response headers. Kept here,
// next to nothing else, so a route lists only the answers particular to it.
import { Type, type TSchema } from '@sinclair/typebox';
import type { OpenAPIV3 } from 'openapi-types';
import { ErrorBody } from '../schemas/common';

/** A route with `config.rateLimit` (the per-IP limits), marked for documentHeaders. */
export const RATE_LIMITED = 'x-per-ip-limit';

/**
 * Answers any route can give: 431 when Node's parser finds the headers too
 * large, 500 for a bug (no internals), 503 while the database is unreachable
 * or the process drains after SIGTERM. A route's own schema may refine one.
 */
export const contractResponses: Record<number, TSchema> = {
  431: Type.Ref(ErrorBody),
  500: Type.Ref(ErrorBody),
  503: Type.Ref(ErrorBody),
};

const string = { type: 'string' } as const;
const integer = { type: 'integer', minimum: 0 } as const;

const HEADERS: Record<string, OpenAPIV3.HeaderObject> = {
  RequestId: {
    description:
      "The request's id: the caller's (or proxy's) x-request-id when it is 1-64 of A-Z a-z 0-9 . _ -, " +
      "else a new UUID. Error bodies carry it as correlation_id; the API's log lines as reqId.",
    required: true,
    schema: string,
  },
  RetryAfter: {
    description: 'Seconds to wait before trying again (on TOO_MANY_REQUESTS).',
    schema: integer,
  },
  RateLimitLimit: {
    description: 'Requests allowed per minute from this IP on this endpoint (absent while Redis is unreachable).',
    schema: integer,
  },
  RateLimitRemaining: { description: 'Requests left in the current minute.', schema: integer },
  RateLimitReset: { description: 'Seconds until the current minute ends.', schema: integer },
};

// What a status means on this API (@fastify/swagger would say "Default Response").
const STATUS_TEXT: Record<string, string> = {
  200: 'OK',
  201: 'Created',
  204: 'Done; no body',
  400: 'The request is invalid (see code and details)',
  401: 'No valid session, or wrong credentials',
  403: 'Not allowed for this caller',
  404: 'No such resource',
  409: 'Conflicts with the current state (see code)',
  413: 'Body larger than the limit',
  415: 'Body not application/json',
  429: 'A limit was reached (see code and Retry-After)',
  431: 'Request headers too large',
  500: 'A bug; details are in the log under correlation_id',
  503: 'The database is unreachable, or the process is shutting down; retry',
};

const ref = (name: keyof typeof HEADERS): OpenAPIV3.ReferenceObject => ({ $ref: `#/components/headers/${name}` });

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** Adds the response headers to every answer of the document (transformObject of @fastify/swagger). */
export function documentHeaders<T>(document: T): T {
  const doc = document as unknown as OpenAPIV3.Document;
  doc.components = { ...doc.components, headers: { ...doc.components?.headers, ...HEADERS } };
  for (const path of Object.values(doc.paths)) {
    for (const method of METHODS) {
      const operation = path?.[method] as (OpenAPIV3.OperationObject & Record<string, unknown>) | undefined;
      if (!operation) continue;
      const limited = operation[RATE_LIMITED] === true;
      delete operation[RATE_LIMITED];
      for (const [status, response] of Object.entries(operation.responses)) {
        if ('$ref' in response) continue;
        if (response.description === 'Default Response') response.description = STATUS_TEXT[status] ?? status;
        response.headers = {
          ...response.headers,
          'x-request-id': ref('RequestId'),
          ...(status === '429' ? { 'retry-after': ref('RetryAfter') } : {}),
          ...(limited
            ? {
                'x-ratelimit-limit': ref('RateLimitLimit'),
                'x-ratelimit-remaining': ref('RateLimitRemaining'),
                'x-ratelimit-reset': ref('RateLimitReset'),
              }
            : {}),
        };
      }
    }
  }
  return document;
}
