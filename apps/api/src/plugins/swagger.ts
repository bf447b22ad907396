import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { securityHeaders } from './browser-security';

/** OpenAPI 3 from the same TypeBox schemas the routes validate with: /docs and /docs/json. */
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
        components: {
          securitySchemes: { session: { type: 'apiKey', in: 'header', name: 'x-session-id' } },
        },
      },
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
