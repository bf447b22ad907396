import fp from 'fastify-plugin';
import { createPrismaClient, type PrismaClient } from '@sms/db';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
  }
}

export default fp(
  async (fastify) => {
    const prisma = createPrismaClient(fastify.config);
    fastify.decorate('prisma', prisma);
    fastify.addHook('onClose', () => prisma.$disconnect());
  },
  { name: 'prisma', dependencies: ['config'] },
);
