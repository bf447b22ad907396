import type { Config } from '@sms/config';
import { MESSAGEBIRD_REPORT_PATH } from '@sms/jobs';
import type { Logger } from 'pino';
import { BirdTransport } from './bird';
import { LogTransport } from './log';
import { MessageBirdTransport } from './messagebird';
import type { Transport } from './transport';

export type { Transport, OutgoingSms, SendResult, FailureKind } from './transport';
export { SendError } from './transport';
export { LogTransport } from './log';

type TransportConfig = Pick<
  Config,
  | 'SMS_TRANSPORT'
  | 'MESSAGEBIRD_ACCESS_KEY'
  | 'MESSAGEBIRD_ORIGINATOR'
  | 'MESSAGEBIRD_TIMEOUT_MS'
  | 'PUBLIC_URL'
  | 'BIRD_ACCESS_KEY'
  | 'BIRD_FROM'
  | 'BIRD_TIMEOUT_MS'
>;

export function createTransport(config: TransportConfig, logger: Logger): Transport {
  if (config.SMS_TRANSPORT === 'log') return new LogTransport(logger);
  if (config.SMS_TRANSPORT === 'bird') {
    if (!config.BIRD_ACCESS_KEY) throw new Error('BIRD_ACCESS_KEY is required for SMS_TRANSPORT=bird');
    // Bird's status webhooks are configured in its dashboard, not per message (docs/delivery-reports.md).
    return new BirdTransport({
      accessKey: config.BIRD_ACCESS_KEY,
      from: config.BIRD_FROM,
      timeoutMs: config.BIRD_TIMEOUT_MS,
      logger,
    });
  }
  if (!config.MESSAGEBIRD_ACCESS_KEY)
    throw new Error('MESSAGEBIRD_ACCESS_KEY is required for SMS_TRANSPORT=messagebird');
  return new MessageBirdTransport({
    accessKey: config.MESSAGEBIRD_ACCESS_KEY,
    originator: config.MESSAGEBIRD_ORIGINATOR,
    timeoutMs: config.MESSAGEBIRD_TIMEOUT_MS,
    logger,
    reportUrl: config.PUBLIC_URL ? config.PUBLIC_URL + MESSAGEBIRD_REPORT_PATH : undefined,
  });
}
