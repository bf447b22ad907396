import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Static } from '@sinclair/typebox';
import fp from 'fastify-plugin';
import { AppError, ErrorCode, errors } from '@sms/core';
import { isDatabaseUnavailable } from '@sms/db';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { NOSNIFF, setAnswerHeaders } from '../http/answer-headers';
import { isClientAbort } from '../http/client-abort';
import { writeRawJson } from '../http/raw-response';
import type { ErrorBody } from '../schemas/common';

/** Fastify's errors as the API's: status, code, and a hint added to Fastify's message. */
const FASTIFY_CODES: Record<string, [number, ErrorCode, string?]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, ErrorCode.PAYLOAD_TOO_LARGE],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    'send the body as JSON, with the header content-type: application/json',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, ErrorCode.INVALID_REQUEST],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, ErrorCode.INVALID_REQUEST],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, ErrorCode.INVALID_REQUEST],
  // The router's: a malformed %-escape, or a path parameter too long to be an id.
  FST_ERR_BAD_URL: [400, ErrorCode.INVALID_REQUEST],
  FST_ERR_MAX_PARAM_LENGTH: [400, ErrorCode.INVALID_REQUEST],
};

const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.INVALID_REQUEST,
  401: ErrorCode.NOT_SIGNED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.INVALID_REQUEST,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.TOO_MANY_REQUESTS,
};

function validationDetails(err: FastifyError): Record<string, unknown> {
  const first = err.validation?.[0];
  const params = first?.params as { missingProperty?: string; additionalProperty?: string } | undefined;
  const path = first?.instancePath?.replace(/^\//, '').replaceAll('/', '.');
  const field = params?.missingProperty ?? params?.additionalProperty ?? (path || undefined);
  return { part: err.validationContext, ...(field ? { field } : {}) };
}

/** Any error as a domain error. 5xx never carry internals. */
function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError;
  if (fe?.validation) {
    return errors.invalidRequest(`invalid ${fe.validationContext ?? 'request'}: ${fe.message}`, validationDetails(fe));
  }
  const known = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return new AppError(known[0], known[1], known[2] ? `${fe.message}: ${known[2]}` : fe.message);
  if (isDatabaseUnavailable(err)) return errors.unavailable();
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own 4xx (bad JSON, prototype poisoning, bad URL…): its message is safe to show.
    return new AppError(status, CODE_FOR_STATUS[status] ?? ErrorCode.INVALID_REQUEST, fe.message);
  }
  return new AppError(500, ErrorCode.INTERNAL, 'internal error');
}

/** Answers `err` with the API's error body (also for places outside the app's error handler). */
export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  err: unknown,
  { expected = false }: { expected?: boolean } = {},
) {
  if (isClientAbort(err, request)) {
    request.log.info('request aborted by the client');
    // Nobody is left to read an answer; 400 only for the access log and metrics.
    return reply.status(400).send();
  }
  const { status, code, message, details, retryAfter } = toAppError(err);
  const body: Static<typeof ErrorBody> = {
    code,
    status,
    message,
    correlation_id: request.id,
    ...(details ? { details } : {}),
  };
  if (status >= 500 && !expected) request.log.error({ err }, 'request failed');
  else request.log.info({ code, status }, 'request rejected');
  if (retryAfter) reply.header('retry-after', String(retryAfter));
  // Also set by the app's onRequest hook, which the router's own errors never reach.
  setAnswerHeaders(reply, request.id);
  return reply.status(status).send(body);
}

/**
 * Where Fastify answers by itself, outside the error handler: the router's
 * errors (bad %-escape, over-long parameter) and what Node's HTTP parser
 * rejects before there is a request (oversized headers, broken HTTP). Both
 * get the API's error body too.
 */
export const frameworkErrorOptions = {
  frameworkErrors: (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    sendError(reply, request, err);
  },
  clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const id = randomUUID();
    const message =
      status === 431 ? 'request headers too large' : status === 408 ? 'request timeout' : 'malformed HTTP request';
    const code = status === 408 ? ErrorCode.REQUEST_TIMEOUT : ErrorCode.INVALID_REQUEST;
    const body: Static<typeof ErrorBody> = { code, status, message, correlation_id: id };
    writeRawJson(socket, status, body, { 'x-request-id': id, ...NOSNIFF });
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
        errors.notFound(`no route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`),
      ),
    );
  },
  { name: 'errors' },
);
