import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';
import { AppError } from '@sms/core';
import { isDatabaseUnavailable } from '@sms/db';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';

interface ErrorBody {
  code: string;
  status: number;
  message: string;
  correlation_id: string;
  details?: Record<string, unknown>;
}

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'INVALID_REQUEST'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_REQUEST'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_REQUEST'],
  // The router's: a malformed %-escape, or a path parameter too long to be an id.
  FST_ERR_BAD_URL: [400, 'INVALID_REQUEST'],
  FST_ERR_MAX_PARAM_LENGTH: [400, 'INVALID_REQUEST'],
};

const CODE_FOR_STATUS: Record<number, string> = {
  400: 'INVALID_REQUEST',
  401: 'NOT_SIGNED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'INVALID_REQUEST',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

function validationDetails(err: FastifyError): Record<string, unknown> {
  const first = err.validation?.[0];
  const params = first?.params as { missingProperty?: string; additionalProperty?: string } | undefined;
  const path = first?.instancePath?.replace(/^\//, '').replaceAll('/', '.');
  const field = params?.missingProperty ?? params?.additionalProperty ?? (path || undefined);
  return { part: err.validationContext, ...(field ? { field } : {}) };
}

/** Maps any error to API.md's body. 5xx never carry internals. */
export function toErrorBody(err: unknown, correlationId: string): ErrorBody & { retryAfter?: number } {
  const base = { correlation_id: correlationId };
  if (err instanceof AppError) {
    return {
      code: err.code,
      status: err.status,
      message: err.message,
      ...base,
      ...(err.details ? { details: err.details } : {}),
      ...(err.retryAfter ? { retryAfter: err.retryAfter } : {}),
    };
  }
  const fe = err as FastifyError;
  if (fe?.validation) {
    return {
      code: 'INVALID_REQUEST',
      status: 400,
      message: `invalid ${fe.validationContext ?? 'request'}: ${fe.message}`,
      ...base,
      details: validationDetails(fe),
    };
  }
  const known = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return { code: known[1], status: known[0], message: fe.message, ...base };
  if (isDatabaseUnavailable(err)) {
    return { code: 'UNAVAILABLE', status: 503, message: 'the database is unavailable; try again shortly', ...base };
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own 4xx (bad JSON, prototype poisoning, bad URL…): its message is safe to show.
    return { code: CODE_FOR_STATUS[status] ?? 'INVALID_REQUEST', status, message: fe.message, ...base };
  }
  return { code: 'INTERNAL', status: 500, message: 'internal error', ...base };
}

/** Answers `err` with API.md's error body (for places outside the app's error handler). */
export function sendError(reply: FastifyReply, request: FastifyRequest, err: unknown) {
  const { retryAfter, ...body } = toErrorBody(err, request.id);
  if (body.status >= 500) request.log.error({ err }, 'request failed');
  else request.log.info({ code: body.code, status: body.status }, 'request rejected');
  if (retryAfter) reply.header('retry-after', String(retryAfter));
  // Also set by the app's onRequest hook, which the router's own errors never reach.
  reply.header('x-request-id', request.id);
  return reply.status(body.status).send(body);
}

/**
 * Where Fastify answers by itself, outside the error handler: the router's
 * errors (bad %-escape, over-long parameter) and what Node's HTTP parser
 * rejects before there is a request (oversized headers, broken HTTP). Both
 * get API.md's error body too.
 */
export const frameworkErrorOptions = {
  frameworkErrors: (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    sendError(reply, request, err);
  },
  clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const id = randomUUID();
    const body = JSON.stringify({
      code: 'INVALID_REQUEST',
      status,
      message:
        status === 431 ? 'request headers too large' : status === 408 ? 'request timeout' : 'malformed HTTP request',
      correlation_id: id,
    });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  },
} satisfies Partial<FastifyServerOptions>;

export default fp(
  async (fastify) => {
    fastify.setErrorHandler((err, request, reply) => sendError(reply, request, err));
    fastify.setNotFoundHandler((request, reply) =>
      sendError(
        reply,
        request,
        new AppError(404, 'NOT_FOUND', `no route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`),
      ),
    );
  },
  { name: 'errors' },
);
