import { ConfigError } from './config-error';
import { commaList } from './formats';
import { SMS_TRANSPORTS } from './provider-schema';
import type { Env } from './schema';

export type ProviderName = keyof typeof SMS_TRANSPORTS;
export const PROVIDER_NAMES = Object.keys(SMS_TRANSPORTS) as ProviderName[];

const isProvider = (name: string): name is ProviderName => (PROVIDER_NAMES as readonly string[]).includes(name);
const isLoopbackUrl = (url: URL) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname);

function fail(why: string): never {
  throw new ConfigError(`Invalid configuration: ${why}`);
}

/** Each provider's own variables, checked only when it is listed. */
function checkProvider(name: ProviderName, env: Env): void {
  if (name === 'messagebird' && !env.MESSAGEBIRD_ACCESS_KEY)
    fail('MESSAGEBIRD_ACCESS_KEY is required when SMS_TRANSPORT=messagebird');
  if (name === 'bird' && !env.BIRD_ACCESS_KEY) fail('BIRD_ACCESS_KEY is required when SMS_TRANSPORT=bird');
  if (name !== 'http') return;
  if (!env.SMS_HTTP_URL) fail('SMS_HTTP_URL is required when SMS_TRANSPORT lists http');
  if (!env.SMS_HTTP_SECRET) fail('SMS_HTTP_SECRET is required when SMS_TRANSPORT lists http');
  if (!URL.canParse(env.SMS_HTTP_URL!)) fail('SMS_HTTP_URL is not a valid URL');
  const url = new URL(env.SMS_HTTP_URL!);
  // The SMS carries a code: in production it crosses no network in clear.
  if (env.NODE_ENV === 'production' && url.protocol !== 'https:' && !isLoopbackUrl(url))
    fail('SMS_HTTP_URL must be https:// when NODE_ENV=production (except a loopback address)');
}

/**
 * SMS_TRANSPORT as an ordered list of known providers, each named once, with
 * its own variables set. Unset: `messagebird` with a MessageBird key, else `log`.
 */
export function parseProviders(env: Env): ProviderName[] {
  const names = env.SMS_TRANSPORT ? commaList(env.SMS_TRANSPORT) : [env.MESSAGEBIRD_ACCESS_KEY ? 'messagebird' : 'log'];
  const providers: ProviderName[] = [];
  for (const name of names) {
    if (!isProvider(name)) fail(`SMS_TRANSPORT must be a list of: ${PROVIDER_NAMES.join(', ')}`);
    if (providers.includes(name)) fail(`SMS_TRANSPORT names ${name} twice`);
    checkProvider(name, env);
    providers.push(name);
  }
  return providers;
}
