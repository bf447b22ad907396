import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { securityHeaders } from './browser-security';
import { contractResponses, documentHeaders, RATE_LIMITED } from '../openapi/contract';

/**
 * OpenAPI 3 from the same TypeBox schemas the routes validate with: /docs and
 * /docs/json. What the route schemas cannot say by themselves (answers every
 * route can give, response headers, public operations) is added by
 * ../openapi/contract.ts, so the document also tells those truths.
 */
export default fp(
  async (fastify) => {
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'SMS verification service',
          version: '1.0.0',
          description: 'Users set a phone, receive a code by SMS, and prove they own the number.',
        },
        // Relative: the host that serves this document (each deployment has its own).
        servers: [{ url: '/', description: 'the host serving this document' }],
        components: {
          securitySchemes: { session: { type: 'apiKey', in: 'header', name: 'x-session-id' } },
        },
      },
      transform: ({ schema, url, route }) => {
        if (!schema || schema.hide) return { schema, url };
        return {
          url,
          schema: {
            ...schema,
            // Operations without a session say so: `security: []` (public).
            security: schema.security ?? [],
            response: { ...contractResponses, ...(schema.response as object) },
            ...((route.config as { rateLimit?: unknown } | undefined)?.rateLimit ? { [RATE_LIMITED]: true } : {}),
          },
        };
      },
      transformObject: (document) =>
        'openapiObject' in document ? documentHeaders(document.openapiObject) : document.swaggerObject,
      // Name shared schemas by their $id (Account, ErrorBody…) instead of def-0, def-1…
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => (json.$id as string) ?? `def-${i}` },
    });
    // Encapsulated: the browser pages get security headers, the JSON API does not need them.
    await fastify.register(async (docs) => {
      await securityHeaders(docs);
      await docs.register(swaggerUi, { routePrefix: '/docs' });
    });
  },
  { name: 'swagger' },
);
