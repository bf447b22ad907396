import fp from 'fastify-plugin';
import { createDb, type Db, type PrismaClient } from '@sms/db';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    /** db.prisma, for tests that look at rows. */
    prisma: PrismaClient;
  }
}

export default fp(
  async (fastify) => {
    const db = createDb(fastify.config, fastify.log);
    fastify.decorate('db', db);
    fastify.decorate('prisma', db.prisma);
    // onClose: once every request is answered (Fastify waits for the connections to close).
    fastify.addHook('onClose', async () => {
      await db.close();
      fastify.log.info('database pool closed');
    });
  },
  { name: 'db', dependencies: ['config'] },
);
