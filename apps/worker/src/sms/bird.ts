import https from 'node:https';
import type { Logger } from 'pino';
import { BIRD_METADATA_KEY } from '@sms/jobs';
import { classifyBirdFailure } from './bird-errors';
import { falseSuccess, parseRetryAfter } from './classify';
import { NoResponseError, postJson, type JsonResponse } from './https-json';
import { SendError, warnIfAmbiguous, type OutgoingSms, type SendResult, type Transport } from './transport';

export interface BirdOptions {
  /** `bk_<region>_<token>`: the region picks the host. */
  accessKey: string;
  from: string;
  timeoutMs: number;
  logger: Logger;
}

/** Where a key's requests go, as `@messagebird/sdk` routes them (its `region.ts`). */
function birdBaseUrl(accessKey: string): string {
  const region = /^bk_([a-z]{2}[0-9]+)_/.exec(accessKey)?.[1];
  // packages/config refuses any other key at start.
  if (!region) throw new Error('BIRD_ACCESS_KEY is not a bk_<region>_… key');
  return `https://${region}.platform.bird.com`;
}

/**
 * Sends through Bird's platform API (`POST /v1/sms/messages`, the API
 * `@messagebird/sdk` calls), for keys made on Bird today; the legacy REST
 * API refuses those. Failures go through the same retry policy as
 * MessageBird's (classify.ts). Our message id rides in `metadata` so status
 * webhooks find the row; Bird's id is stored as the provider id too.
 */
export class BirdTransport implements Transport {
  readonly name = 'bird' as const;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly agent: https.Agent;

  constructor(private readonly options: BirdOptions) {
    this.url = `${birdBaseUrl(options.accessKey)}/v1/sms/messages`;
    this.headers = { authorization: `Bearer ${options.accessKey}` };
    // Our own request, unlike the legacy SDK's: nothing piles up on a kept-alive socket.
    this.agent = new https.Agent({ keepAlive: true });
  }

  async send(sms: OutgoingSms): Promise<SendResult> {
    let response: JsonResponse;
    try {
      response = await postJson(
        this.url,
        this.headers,
        {
          from: this.options.from,
          to: sms.to,
          text: sms.body,
          // A one-time code: Bird keeps no readable copy of the text (its `SmsMessage.text`).
          category: 'authentication',
          metadata: { [BIRD_METADATA_KEY]: sms.id },
        },
        { timeoutMs: this.options.timeoutMs, agent: this.agent },
      );
    } catch (err) {
      if (!(err instanceof NoResponseError)) throw err;
      throw this.logged(
        sms,
        classifyBirdFailure({ networkCode: err.code, timedOut: err.timedOut, message: err.message }),
      );
    }

    const { statusCode, body } = response;
    if (statusCode < 200 || statusCode >= 300) {
      throw this.logged(
        sms,
        classifyBirdFailure({
          statusCode,
          body,
          message: typeof body === 'string' && body !== '' ? 'response not JSON' : 'response without an error body',
          retryAfterMs: parseRetryAfter(response.headers['retry-after']),
        }),
      );
    }
    const id = (body as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') {
      throw this.logged(sms, falseSuccess('Bird', statusCode));
    }
    return { providerMessageId: id };
  }

  private logged(sms: OutgoingSms, error: SendError): SendError {
    return warnIfAmbiguous(this.options.logger, 'Bird', sms, error);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
