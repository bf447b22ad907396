import type https from 'node:https';
import { initClient, type Message, type MessageBird } from 'messagebird';
import type { Logger } from 'pino';
import { createMessageBirdAgent, installGlobalAgent } from './agent';
import { falseSuccess, parseRetryAfter } from './classify';
import { classifyProviderFailure, type ProviderErrorItem } from './messagebird-errors';
import { observeHttp, withObservation, type HttpObservation } from './http-observer';
import { SendError, warnIfAmbiguous, type OutgoingSms, type SendResult, type Transport } from './transport';

export interface MessageBirdOptions {
  accessKey: string;
  originator: string;
  timeoutMs: number;
  logger: Logger;
  /** Where MessageBird sends delivery reports (PUBLIC_URL + the webhook's path); none when unset. */
  reportUrl?: string;
  /** Tests only: an agent that connects elsewhere; it must not reuse sockets either. */
  agent?: https.Agent;
}

interface SdkError extends Error {
  statusCode?: number;
  errors?: ProviderErrorItem[];
  error?: { code?: string };
}

/**
 * Sends through the `messagebird` SDK with its defects neutralised (docs/reliability.md):
 * a send counts only with an id and totalSentCount >= 1, the HTTP status is
 * observed beside the SDK so a 429 is never taken for success, timeouts and
 * resets are retried as ambiguous, and sockets are never reused.
 */
export class MessageBirdTransport implements Transport {
  readonly name = 'messagebird' as const;
  private readonly client: MessageBird;
  private readonly agent: https.Agent;
  private readonly restoreAgent: () => void;
  private readonly stopObserving: () => void;

  constructor(private readonly options: MessageBirdOptions) {
    this.client = initClient(options.accessKey, options.timeoutMs);
    this.agent = options.agent ?? createMessageBirdAgent();
    this.restoreAgent = installGlobalAgent(this.agent);
    this.stopObserving = observeHttp();
  }

  async send(sms: OutgoingSms): Promise<SendResult> {
    const observation: HttpObservation = {};
    const started = Date.now();
    let message: Message | null;
    try {
      message = await new Promise<Message | null>((resolve, reject) =>
        withObservation(observation, () =>
          // A fresh params object each time: the SDK rewrites `recipients` in place.
          this.client.messages.create(
            {
              originator: this.options.originator,
              recipients: [sms.to.replace(/^\+/, '')],
              body: sms.body,
              reference: sms.id,
              ...(this.options.reportUrl ? { reportUrl: this.options.reportUrl } : {}),
            },
            (err, res) => (err ? reject(err) : resolve(res)),
          ),
        ),
      );
    } catch (err) {
      const sdkError = err as SdkError;
      const elapsed = Date.now() - started;
      throw this.logged(
        sms,
        classifyProviderFailure({
          statusCode: sdkError.statusCode ?? observation.statusCode,
          errors: sdkError.errors,
          networkCode: sdkError.error?.code,
          message: sdkError.message,
          // The SDK's timer is an idle timer that aborts the request: a hang-up
          // no sooner than the timeout is that timer, not the network.
          timedOut: sdkError.error?.code === 'ECONNRESET' && elapsed >= this.options.timeoutMs,
          retryAfterMs: parseRetryAfter(observation.retryAfter),
        }),
      );
    }

    const status = observation.statusCode;
    if (status !== undefined && (status < 200 || status >= 300)) {
      // A 429 or error status with a body the SDK did not read as an error.
      throw this.logged(
        sms,
        classifyProviderFailure({
          statusCode: status,
          message: 'response without an errors list',
          retryAfterMs: parseRetryAfter(observation.retryAfter),
        }),
      );
    }
    const id = typeof message?.id === 'string' && message.id !== '' ? message.id : null;
    const sentCount = Number(message?.recipients?.totalSentCount ?? 0);
    if (id === null) {
      throw this.logged(sms, falseSuccess('MessageBird', status));
    }
    if (!(sentCount >= 1)) {
      throw this.logged(
        sms,
        new SendError(`MessageBird: message ${id} created but sent to no recipient (totalSentCount ${sentCount})`, {
          kind: 'retry',
          reason: 'not_sent',
          statusCode: status,
        }),
      );
    }
    return { providerMessageId: id };
  }

  private logged(sms: OutgoingSms, error: SendError): SendError {
    return warnIfAmbiguous(this.options.logger, 'MessageBird', sms, error);
  }

  async close(): Promise<void> {
    this.stopObserving();
    this.restoreAgent();
    this.agent.destroy();
  }
}
