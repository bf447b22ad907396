import helmet from '@fastify/helmet';
import { errors } from '@sms/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors';

/**
 * Security headers for the pages a browser opens (/docs, /admin/*), via
 * helmet's defaults. Its default CSP already fits Swagger UI and Bull Board:
 * their scripts are files of our own origin, styles are inline or from
 * Google Fonts (https:). Only upgrade-insecure-requests goes: on plain HTTP
 * (a developer's machine) it would send every script to https:// and blank
 * the pages, and behind TLS every URL of theirs is relative anyway.
 */
export async function securityHeaders(fastify: FastifyInstance) {
  await fastify.register(helmet, {
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery guard for a scope's state-changing requests: a
 * browser says where a request comes from (Sec-Fetch-Site, or Origin), and
 * anything but this very origin gets 403. The session cookie's SameSite=Strict
 * is the first line; this one does not depend on the browser's cookie policy.
 * A request with neither header is no browser's: API clients (curl, scripts
 * with x-session-id) cannot be made to send someone else's cookie.
 */
export function sameOriginOnly(request: FastifyRequest, reply: FastifyReply, done: () => void) {
  if (SAFE_METHODS.has(request.method)) return done();
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  const sameOrigin =
    site !== undefined
      ? site === 'same-origin' || site === 'none'
      : origin === undefined || origin === `${request.protocol}://${request.host}`;
  if (sameOrigin) return done();
  return sendError(reply, request, errors.forbidden('cross-site request refused'));
}
