import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaClient } from './generated/client';
import { poolConfig } from './connection';

export interface DbConfig {
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
}

/**
 * The one way the apps get a Prisma client. Interactive transactions wait at
 * most 2 s for a connection and run at most 5 s: past that the caller gets an
 * error (mapped to 503) instead of a request that hangs on an exhausted pool.
 */
export function createPrismaClient(config: DbConfig): PrismaClient {
  const adapter = new PrismaMariaDb(poolConfig(config.DATABASE_URL, config.DATABASE_POOL_SIZE));
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 2000, timeout: 5000 } });
}

export type { PrismaClient };
