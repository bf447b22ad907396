import type { Config, ProviderName } from '@sms/config';
import { MESSAGEBIRD_REPORT_PATH } from '@sms/jobs';
import type { Logger } from 'pino';
import { BirdTransport } from './bird';
import { HttpTransport } from './http';
import { LogTransport } from './log';
import { MessageBirdTransport } from './messagebird';
import type { Transport } from './transport';

export type { Transport, OutgoingSms, SendResult, FailureKind } from './transport';
export { SendError } from './transport';
export { LogTransport } from './log';

type TransportConfig = Pick<
  Config,
  | 'SMS_PROVIDERS'
  | 'MESSAGEBIRD_ACCESS_KEY'
  | 'MESSAGEBIRD_ORIGINATOR'
  | 'MESSAGEBIRD_TIMEOUT_MS'
  | 'PUBLIC_URL'
  | 'BIRD_ACCESS_KEY'
  | 'BIRD_FROM'
  | 'BIRD_TIMEOUT_MS'
  | 'SMS_HTTP_URL'
  | 'SMS_HTTP_SECRET'
  | 'SMS_HTTP_TIMEOUT_MS'
  | 'SMS_DEFAULT_LANGUAGE'
>;

/** The transport of one provider; packages/config has checked its variables at start. */
export function createTransport(name: ProviderName, config: TransportConfig, logger: Logger): Transport {
  const required = (value: string | undefined, variable: string) => {
    if (!value) throw new Error(`${variable} is required for SMS_TRANSPORT=${name}`);
    return value;
  };
  switch (name) {
    case 'log':
      return new LogTransport(logger);
    case 'bird':
      // Bird's status webhooks are configured in its dashboard, not per message (docs/delivery-reports.md).
      return new BirdTransport({
        accessKey: required(config.BIRD_ACCESS_KEY, 'BIRD_ACCESS_KEY'),
        from: config.BIRD_FROM,
        timeoutMs: config.BIRD_TIMEOUT_MS,
        logger,
      });
    case 'http':
      return new HttpTransport({
        url: required(config.SMS_HTTP_URL, 'SMS_HTTP_URL'),
        secret: required(config.SMS_HTTP_SECRET, 'SMS_HTTP_SECRET'),
        timeoutMs: config.SMS_HTTP_TIMEOUT_MS,
        // For rows written before messages had a language.
        defaultLanguage: config.SMS_DEFAULT_LANGUAGE,
        logger,
      });
    case 'messagebird':
      return new MessageBirdTransport({
        accessKey: required(config.MESSAGEBIRD_ACCESS_KEY, 'MESSAGEBIRD_ACCESS_KEY'),
        originator: config.MESSAGEBIRD_ORIGINATOR,
        timeoutMs: config.MESSAGEBIRD_TIMEOUT_MS,
        logger,
        reportUrl: config.PUBLIC_URL ? config.PUBLIC_URL + MESSAGEBIRD_REPORT_PATH : undefined,
      });
  }
}

/** The transports of SMS_TRANSPORT, in its order. */
export function createTransports(config: TransportConfig, logger: Logger): Transport[] {
  return config.SMS_PROVIDERS.map((name) => createTransport(name, config, logger));
}
