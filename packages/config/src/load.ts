import envSchema from 'env-schema';
import { DatabaseUrlError, parseDatabaseUrl } from './database-url';
import { ConfigSchema, type Env } from './schema';
import { ConfigError } from './config-error';
import { edgeWarnings, parseTrustProxy, transportProblem, type TrustProxy } from './edge';
import { redisTarget } from './redis';
import { commaList } from './formats';
import { parseProviders, type ProviderName } from './providers';

const PREFIX = 'Invalid configuration: ';

/** Used when APP_SECRET is unset outside production; never valid in production. */
const DEVELOPMENT_SECRET = 'development-only-secret-do-not-use-in-production';

export type Config = Omit<
  Env,
  'APP_SECRET' | 'SMS_TRANSPORT' | 'SMS_ALLOWED_COUNTRIES' | 'SMS_ALLOWED_NUMBER_TYPES' | 'TRUST_PROXY'
> & {
  TRUST_PROXY: TrustProxy;
  APP_SECRET: string;
  /** The providers as listed, normalised (`bird,http`); SMS_PROVIDERS is the same as a list. */
  SMS_TRANSPORT: string;
  /** The providers in order of preference: each SMS goes to the first healthy one. */
  SMS_PROVIDERS: ProviderName[];
  /** ISO alpha-2 codes; empty means every country. */
  SMS_ALLOWED_COUNTRIES: string[];
  SMS_ALLOWED_NUMBER_TYPES: string[];
  /** Set when a default was used that an operator should know about. */
  warnings: string[];
};

export { ConfigError };
export type { ProviderName };

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
 * single line naming the variable (every variable at fault, past the schema's
 * own checks); values are never echoed (some are secrets).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const data = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  let parsed: Env;
  try {
    // env: false — only `env` is read (by default process.env itself); env-schema
    // would otherwise lay process.env under it, so loadConfig({...}) in tests
    // picked up the shell's DATABASE_URL and friends.
    parsed = envSchema<Env>({ schema: ConfigSchema, data, dotenv: false, env: false });
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    const first = errors?.[0];
    throw new ConfigError(PREFIX + (first ? describe(first) : (err as Error).message));
  }

  const warnings: string[] = [];
  // Every problem below is listed in one error, so one start names them all
  // (not one restart per missing variable).
  const problems: string[] = [];
  const check = (test: () => string | null | undefined | void) => {
    try {
      const problem = test();
      if (problem) problems.push(problem);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err.message.replace(PREFIX, ''));
    }
  };
  const production = parsed.NODE_ENV === 'production';
  if (!parsed.APP_SECRET) {
    if (production) problems.push('APP_SECRET is required when NODE_ENV=production');
    else warnings.push('APP_SECRET is not set: using a fixed development secret (never do this in production)');
  }
  if (parsed.EXPOSE_VERIFICATION_CODE && production) {
    problems.push('EXPOSE_VERIFICATION_CODE=true is refused when NODE_ENV=production');
  }
  check(() => {
    if (!URL.canParse(parsed.REDIS_URL)) return 'REDIS_URL is not a valid URL';
    redisTarget(parsed);
  });
  check(() => {
    try {
      // The whole URL, options included (database-url.ts), so a typo stops the start.
      parseDatabaseUrl(parsed.DATABASE_URL);
    } catch (err) {
      if (!(err instanceof DatabaseUrlError)) throw err;
      return `DATABASE_URL ${err.message}`;
    }
  });
  check(() => transportProblem(parsed));
  let providers: ProviderName[] = [];
  check(() => void (providers = parseProviders(parsed)));
  if (Boolean(parsed.ADMIN_LOGIN) !== Boolean(parsed.ADMIN_PASSWORD)) {
    problems.push('ADMIN_LOGIN and ADMIN_PASSWORD must be set together');
  }
  const countries = parsed.SMS_ALLOWED_COUNTRIES?.trim();
  if (!countries) {
    if (production) problems.push('SMS_ALLOWED_COUNTRIES is required when NODE_ENV=production (a list, or * for all)');
    else warnings.push('SMS_ALLOWED_COUNTRIES is not set: every country can be texted (set a list, or * on purpose)');
  }
  let trustProxy: TrustProxy = false;
  check(() => void (trustProxy = parseTrustProxy(parsed.TRUST_PROXY)));
  if (problems.length) throw new ConfigError(PREFIX + problems.join('; '));
  warnings.push(...edgeWarnings(parsed));

  return {
    ...parsed,
    APP_SECRET: parsed.APP_SECRET ?? DEVELOPMENT_SECRET,
    SMS_TRANSPORT: providers.join(','),
    SMS_PROVIDERS: providers,
    TRUST_PROXY: trustProxy,
    SMS_ALLOWED_COUNTRIES: countries === '*' ? [] : commaList(countries).map((c) => c.toUpperCase()),
    SMS_ALLOWED_NUMBER_TYPES: commaList(parsed.SMS_ALLOWED_NUMBER_TYPES),
    warnings,
  };
}

/** For process entry points: a ConfigError becomes its one line on stderr and exit 1; anything else is thrown on. */
export function exitOnConfigError(err: unknown): never {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

/** For process entry points: the config, or one line on stderr and exit 1. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    return exitOnConfigError(err);
  }
}
