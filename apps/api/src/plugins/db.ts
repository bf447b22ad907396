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
    const db = createDb(fastify.config);
    fastify.decorate('db', db);
    fastify.decorate('prisma', db.prisma);
    fastify.addHook('onClose', () => db.close());
  },
  { name: 'db', dependencies: ['config'] },
);
