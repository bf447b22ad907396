import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { canonicalLanguage, errors, type LanguageChoice } from '@sms/core';
import type { FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { errorResponses, sessionSecurity } from '../../schemas/common';
import {
  PutSettingsBody,
  ResendBody,
  SmsSettings,
  SmsSettingsUpdate,
  UserIdParams,
  VerifyBody,
} from '../../schemas/sms-settings';

/** The request's word on the SMS's language: the body's `language`, and Accept-Language's tags (q-values honoured). */
function languageChoice(request: FastifyRequest, body: { language?: string | undefined }): LanguageChoice {
  return {
    language: body.language === undefined ? undefined : (canonicalLanguage(body.language) ?? body.language),
    accepted: new Negotiator(request).languages().filter((tag) => tag !== '*'),
  };
}

const smsSettings: FastifyPluginAsyncTypebox = async (fastify) => {
  const perIp = { rateLimit: {} };

  fastify.get(
    '/:user_id',
    {
      onRequest: fastify.requireSessionReading,
      schema: {
        tags: ['sms_settings'],
        operationId: 'getSmsSettings',
        summary: "An account's SMS settings (owner or admin)",
        security: sessionSecurity,
        params: UserIdParams,
        response: { 200: Type.Ref(SmsSettings), ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => fastify.smsSettings.get(request.params.user_id, request.caller, request.prefetched ?? undefined),
  );

  fastify.put(
    '/:user_id',
    {
      onRequest: fastify.requireSession,
      schema: {
        tags: ['sms_settings'],
        operationId: 'putSmsSettings',
        summary: "Set an account's phone; a new phone gets a code by SMS (owner or admin)",
        security: sessionSecurity,
        params: UserIdParams,
        body: PutSettingsBody,
        response: { 200: Type.Ref(SmsSettingsUpdate), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const { user_id: userId } = request.params;
      if (request.body.id !== undefined && request.body.id !== userId) {
        throw errors.invalidRequest('id in the body must equal user_id in the path', { field: 'id' });
      }
      return fastify.smsSettings.put(
        userId,
        request.body,
        request.caller,
        { ip: request.ip },
        languageChoice(request, request.body),
      );
    },
  );

  fastify.post(
    '/resend',
    {
      config: perIp,
      schema: {
        tags: ['sms_settings'],
        operationId: 'resendCode',
        summary: 'Send a new code to the account holding this phone unverified',
        description: 'Answers 204 alike for unknown, verified and pending phones.',
        body: ResendBody,
        response: { 204: Type.Null(), ...errorResponses(400, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      await fastify.verification.resend(request.body.phone, { ip: request.ip }, languageChoice(request, request.body));
      return reply.status(204).send(null);
    },
  );

  fastify.post(
    '/verify',
    {
      config: perIp,
      onRequest: fastify.optionalSession,
      schema: {
        tags: ['sms_settings'],
        operationId: 'verifyPhone',
        summary: 'Verify a phone with the code received by SMS',
        description:
          'With x-session-id only the code sent for that account can match. Without one, a phone waiting ' +
          'on codes for more than one account answers INVALID_CODE: verify it with a session then.',
        security: [{}, ...sessionSecurity],
        body: VerifyBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 409, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      await fastify.verification.verify(request.body.phone, request.body.code, request.caller?.userId);
      fastify.deliveries.countVerified(request.body.phone);
      return reply.status(204).send(null);
    },
  );
};

export default smsSettings;
