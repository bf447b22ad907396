import envSchema from 'env-schema';
import { ConfigSchema, type Env } from './schema';
import { ConfigError } from './config-error';
import { checkEdge, parseTrustProxy, type TrustProxy } from './edge';

/** Used when APP_SECRET is unset outside production; never valid in production. */
const DEVELOPMENT_SECRET = 'development-only-secret-do-not-use-in-production';

export type Config = Omit<Env, 'APP_SECRET' | 'SMS_TRANSPORT' | 'SMS_ALLOWED_COUNTRIES' | 'TRUST_PROXY'> & {
  TRUST_PROXY: TrustProxy;
  APP_SECRET: string;
  SMS_TRANSPORT: 'messagebird' | 'log';
  SMS_ALLOWED_COUNTRIES: string[];
  /** Set when a default was used that an operator should know about. */
  warnings: string[];
};

export { ConfigError };

interface AjvError {
  instancePath: string;
  message?: string;
  params?: { missingProperty?: string; allowedValues?: unknown[] };
}

function describe(error: AjvError): string {
  const variable = error.instancePath.replace(/^\//, '') || error.params?.missingProperty || 'environment';
  let why = error.message ?? 'is invalid';
  if (why.startsWith('must match pattern')) why = 'has an invalid format';
  if (error.params?.allowedValues) why = `must be one of: ${error.params.allowedValues.join(', ')}`;
  return `${variable} ${why}`;
}

/**
 * Reads and validates the environment once, at start. Throws ConfigError with a
 * single line naming the variable; values are never echoed (some are secrets).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const data = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  let parsed: Env;
  try {
    parsed = envSchema<Env>({ schema: ConfigSchema, data, dotenv: false });
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    const first = errors?.[0];
    throw new ConfigError(`Invalid configuration: ${first ? describe(first) : (err as Error).message}`);
  }

  const warnings: string[] = [];
  const production = parsed.NODE_ENV === 'production';
  if (!parsed.APP_SECRET) {
    if (production) throw new ConfigError('Invalid configuration: APP_SECRET is required when NODE_ENV=production');
    warnings.push('APP_SECRET is not set: using a fixed development secret (never do this in production)');
  }
  if (parsed.EXPOSE_VERIFICATION_CODE && production) {
    throw new ConfigError('Invalid configuration: EXPOSE_VERIFICATION_CODE=true is refused when NODE_ENV=production');
  }
  for (const url of ['DATABASE_URL', 'REDIS_URL'] as const) {
    if (!URL.canParse(parsed[url])) throw new ConfigError(`Invalid configuration: ${url} is not a valid URL`);
  }
  const transport = parsed.SMS_TRANSPORT ?? (parsed.MESSAGEBIRD_ACCESS_KEY ? 'messagebird' : 'log');
  warnings.push(...checkEdge(parsed));
  if (transport === 'messagebird' && !parsed.MESSAGEBIRD_ACCESS_KEY) {
    throw new ConfigError('Invalid configuration: MESSAGEBIRD_ACCESS_KEY is required when SMS_TRANSPORT=messagebird');
  }
  if (Boolean(parsed.ADMIN_LOGIN) !== Boolean(parsed.ADMIN_PASSWORD)) {
    throw new ConfigError('Invalid configuration: ADMIN_LOGIN and ADMIN_PASSWORD must be set together');
  }

  return {
    ...parsed,
    APP_SECRET: parsed.APP_SECRET ?? DEVELOPMENT_SECRET,
    SMS_TRANSPORT: transport,
    TRUST_PROXY: parseTrustProxy(parsed.TRUST_PROXY),
    SMS_ALLOWED_COUNTRIES: parsed.SMS_ALLOWED_COUNTRIES.split(',')
      .map((c) => c.trim().toUpperCase())
      .filter(Boolean),
    warnings,
  };
}

/** For process entry points: the config, or one line on stderr and exit 1. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
