import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { classifyFailure, parseRetryAfter } from './classify';
import { NoResponseError, postJson, type JsonResponse } from './https-json';
import { warnIfAmbiguous, type OutgoingSms, type SendResult, type Transport } from './transport';

export interface HttpProviderOptions {
  url: string;
  /** `whsec_<base64>`: signs every request (Standard Webhooks). */
  secret: string;
  timeoutMs: number;
  /** For a message that names no language. */
  defaultLanguage: string;
  logger: Logger;
}

/** What a refused request keeps of the gateway's answer in `last_error`. */
const MAX_ANSWER_CHARS = 200;

function answerText(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return (text ?? '').slice(0, MAX_ANSWER_CHARS);
}

/**
 * The `http` provider: POSTs each SMS as JSON to SMS_HTTP_URL, signed per
 * Standard Webhooks, for an adapter the operator runs in front of any gateway
 * (docs/providers.md). Its answers go through the same retry policy as the
 * other providers (classify.ts); 401/403 mean our secret or the gateway's
 * key is wrong, which pauses the provider like a bad key.
 */
export class HttpTransport implements Transport {
  readonly name = 'http' as const;
  private readonly webhook: Webhook;
  private readonly agent: http.Agent;

  constructor(private readonly options: HttpProviderOptions) {
    this.webhook = new Webhook(options.secret);
    this.agent = options.url.startsWith('https:')
      ? new https.Agent({ keepAlive: true })
      : new http.Agent({ keepAlive: true });
  }

  async send(sms: OutgoingSms): Promise<SendResult> {
    const payload = {
      message_id: sms.id,
      to: sms.to,
      body: sms.body,
      language: sms.language ?? this.options.defaultLanguage,
    };
    // postJson serialises the same object the same way: this is the body sent.
    const raw = JSON.stringify(payload);
    // One id per attempt: a retry is a new delivery the adapter may tell apart; message_id ties them.
    const id = `${sms.id}-${sms.attempt ?? 1}`;
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(now.getTime() / 1000),
      'webhook-signature': this.webhook.sign(id, now, raw),
    };

    let response: JsonResponse;
    try {
      response = await postJson(this.options.url, headers, payload, {
        timeoutMs: this.options.timeoutMs,
        agent: this.agent,
      });
    } catch (err) {
      if (!(err instanceof NoResponseError)) throw err;
      const failure = { provider: 'http', networkCode: err.code, timedOut: err.timedOut, message: err.message };
      throw warnIfAmbiguous(this.options.logger, 'http', sms, classifyFailure(failure));
    }

    const { statusCode, body } = response;
    if (statusCode >= 200 && statusCode < 300) {
      const providerId = (body as { provider_message_id?: unknown } | null)?.provider_message_id;
      return { providerMessageId: typeof providerId === 'string' && providerId !== '' ? providerId : null };
    }
    const answer = answerText(body);
    throw classifyFailure({
      provider: 'http',
      statusCode,
      details: answer ? [answer] : undefined,
      message: 'no answer body',
      // The adapter refused our signature, or the gateway its key: a person must act.
      operatorReason: statusCode === 401 || statusCode === 403 ? 'bad_key' : undefined,
      // 3xx is not followed: the URL is wrong, no retry fixes it.
      permanentReason: statusCode < 500 && statusCode !== 429 ? `http_${statusCode}` : undefined,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
