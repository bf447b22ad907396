export { createDb, type Db, type DbConfig, type DbLogger, type PrismaClient } from './db';
export { describeConnectError, isDatabaseUnavailable, isLockConflict, isUniqueViolation } from './errors';
export * from './repositories/index';
export { migrate, MigrationError, MIGRATIONS_DIR, type MigrateOptions } from './migrator';
export { ACQUIRE_TIMEOUT_MS, parseDatabaseUrl, poolConfig } from './connection';
export { Prisma } from './generated/client';
export type { Account, Session, SmsSettings, SmsMessage } from './generated/client';
export type { DeliveryStatus, SmsStatus } from './generated/client';
export { checkDatabase, checkDatabaseOrExit } from './check';
