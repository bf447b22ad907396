export { loadConfig, loadConfigOrExit, ConfigError, type Config } from './load';
export { ConfigSchema, type Env } from './schema';
export { loggerOptions } from './logger';
