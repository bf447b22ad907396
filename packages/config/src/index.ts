export { loadConfig, loadConfigOrExit, ConfigError, type Config } from './load';
export { ConfigSchema, type Env } from './schema';
export { loggerOptions } from './logger';
export {
  parseDatabaseUrl,
  DatabaseUrlError,
  DATABASE_URL_OPTIONS,
  type DatabaseConnectionOptions,
} from './database-url';
