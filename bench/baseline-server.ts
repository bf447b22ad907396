// The API's ceiling on this machine: bare Fastify answering GET
// /api/v1/sms_settings/:user_id with the same JSON (same response schema, so
// the same serializer) and no I/O, no hooks, no logging. Prints its port.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get(
  '/api/v1/sms_settings/:user_id',
  {
    schema: {
      response: {
        200: {
          type: 'object',
          required: ['phone', 'verified', 'id'],
          properties: {
            phone: { type: ['string', 'null'] },
            verified: { type: 'boolean' },
            id: { type: 'string' },
          },
        },
      },
    },
  },
  async (request) => ({
    phone: '+380508308443',
    verified: false,
    id: (request.params as { user_id: string }).user_id,
  }),
);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
process.once('SIGTERM', () => void app.close());
