import type { Logger } from 'pino';
import type { OutgoingSms, SendResult, Transport } from './transport';

/**
 * Development transport: each SMS becomes one JSON log line with `to` and
 * `body`, so a developer reads the code in the worker's output. Nothing is sent.
 */
export class LogTransport implements Transport {
  readonly name = 'log' as const;

  constructor(private readonly logger: Logger) {}

  async send(sms: OutgoingSms): Promise<SendResult> {
    this.logger.info(
      { transport: 'log', messageId: sms.id, to: sms.to, body: sms.body },
      'sms (log transport, not sent)',
    );
    return { providerMessageId: null };
  }

  async close(): Promise<void> {}
}
