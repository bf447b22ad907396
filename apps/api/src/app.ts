import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@sms/config';
import { loggerOptions } from '@sms/config';
import { Ajv } from 'ajv';
import fp from 'fastify-plugin';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import auth from './plugins/auth';
import configPlugin from './plugins/config';
import errorsPlugin, { frameworkErrorOptions } from './plugins/errors';
import { setAnswerHeaders } from './http/answer-headers';
import { requestTimeoutOptions } from './http/request-timeout';
import { trustProxyOption } from './http/trust-proxy';
import metrics from './plugins/metrics';
import db from './plugins/db';
import deliveries from './plugins/deliveries';
import queue from './plugins/queue';
import rateLimit from './plugins/rate-limit';
import redis from './plugins/redis';
import services from './plugins/services';
import shutdown from './plugins/shutdown';
import swagger from './plugins/swagger';
import accounts from './routes/accounts/index';
import admin from './routes/admin/index';
import health from './routes/health/index';
import smsSettings from './routes/sms-settings/index';
import smsMessages from './routes/sms-messages/index';
import webhooks from './routes/webhooks/index';
import { Account } from './schemas/accounts';
import { ErrorBody } from './schemas/common';
import { SmsSettings, SmsSettingsUpdate } from './schemas/sms-settings';
import { SmsMessage } from './schemas/sms-messages';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function serverOptions(config: Config): FastifyServerOptions {
  return {
    logger: loggerOptions(config, 'api'),
    bodyLimit: config.BODY_LIMIT_BYTES,
    ...requestTimeoutOptions(config.REQUEST_TIMEOUT_SECONDS),
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    // Keep a caller's or proxy's request id when it is sane, else make one.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // plugins/shutdown.ts answers requests arriving while closing, with the API's 503 body.
    return503OnClosing: false,
    // On close, Node destroys the connections with no request in hand; the
    // others end after their answer (plugins/shutdown.ts).
    forceCloseConnections: 'idle',
    ...frameworkErrorOptions,
  };
}

// Bodies are validated strictly (no type coercion: 380508308443 is not a phone,
// unknown fields are errors); query strings and params are strings on the wire
// and are coerced to the schema's types.
const bodyAjv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false });
const urlAjv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false });

/** The whole service as a plugin: it never listens (server.ts does; tests use inject). */
const app: FastifyPluginAsync<{ config: Config }> = async (fastify, { config }) => {
  // JSON only: anything else is 415 UNSUPPORTED_MEDIA_TYPE.
  fastify.removeContentTypeParser(['text/plain']);
  fastify.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : urlAjv).compile(schema));
  // Callback hooks on every request (here, shutdown, metrics): an async one costs a
  // promise and a microtask turn each.
  fastify.addHook('onRequest', (request, reply, done) => {
    setAnswerHeaders(reply, request.id);
    done();
  });
  for (const schema of [ErrorBody, Account, SmsSettings, SmsSettingsUpdate, SmsMessage]) fastify.addSchema(schema);

  await fastify.register(configPlugin, { config });
  await fastify.register(errorsPlugin);
  await fastify.register(metrics);
  await fastify.register(swagger);
  await fastify.register(db);
  await fastify.register(redis);
  await fastify.register(queue);
  await fastify.register(services);
  // Before auth and the rate limits: a request arriving while closing is refused before they run.
  await fastify.register(shutdown);
  await fastify.register(auth);
  await fastify.register(rateLimit);
  await fastify.register(deliveries);

  await fastify.register(health, { prefix: '/health' });
  await fastify.register(admin);
  await fastify.register(
    async (api) => {
      await api.register(accounts);
      await api.register(smsSettings, { prefix: '/sms_settings' });
      await api.register(smsMessages);
      await api.register(webhooks, { prefix: '/webhooks' });
    },
    { prefix: '/api/v1' },
  );
};

export default app;

export async function buildApp(
  config: Config,
  overrides: Partial<FastifyServerOptions> = {},
): Promise<FastifyInstance> {
  const fastify = Fastify({ ...serverOptions(config), ...overrides }).withTypeProvider<TypeBoxTypeProvider>();
  // fp: the app's decorators (prisma, accounts…) stay visible to the caller.
  await fastify.register(fp(app), { config });
  return fastify;
}
