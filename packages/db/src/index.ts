export { createPrismaClient, sqlOf, type DbConfig, type PrismaClient } from './client';
export type { Sql, Statement } from './sql';
export { migrate, MigrationError, MIGRATIONS_DIR, type MigrateOptions } from './migrator';
export { parseDatabaseUrl, poolConfig } from './connection';
export { Prisma } from './generated/client';
export type { Account, Session, SmsSettings, SmsMessage } from './generated/client';
export { checkDatabase, checkDatabaseOrExit } from './check';
