export { loadConfig, loadConfigOrExit, exitOnConfigError, ConfigError, type Config } from './load';
export { PROVIDER_NAMES, type ProviderName } from './providers';
export { ConfigSchema, type Env } from './schema';
export { loggerOptions } from './logger';
export { ID_PATTERN, LANGUAGE_PATTERN, LOGIN_PATTERN, StringEnum, commaList } from './formats';
export { withTimeout } from './timeout';
export { outageLog } from './outage';
export {
  parseDatabaseUrl,
  DatabaseUrlError,
  DATABASE_URL_OPTIONS,
  type DatabaseConnectionOptions,
} from './database-url';
export { metricsAccess, type TrustProxy } from './edge';
export { redisTarget, type RedisVariables } from './redis';
