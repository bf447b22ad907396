import http from 'node:http';
import https from 'node:https';

export interface JsonResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON, or its text when it is not JSON (a proxy's HTML page). */
  body: unknown;
}

/** A request that got no complete response: `code` is the socket's error code, `timedOut` our deadline. */
export class NoResponseError extends Error {
  override name = 'NoResponseError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

// An error body is a few hundred bytes; a provider or proxy answering more is not read further.
const MAX_BODY_BYTES = 64 * 1024;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * POSTs `payload` as JSON and resolves with any HTTP answer, error statuses
 * included: what an answer means is the caller's to decide. `timeoutMs` bounds
 * the whole exchange, connection and body included, unlike Node's idle timer.
 * `url` may be `http:` (with an `http.Agent`) or `https:` (with an `https.Agent`).
 */
export function postJson(
  url: string,
  headers: Record<string, string>,
  payload: unknown,
  options: { timeoutMs: number; agent: http.Agent },
): Promise<JsonResponse> {
  const data = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    // Plain http only for the http provider's adapter (config allows it on loopback in production).
    const request = (url.startsWith('http:') ? http : https).request(url, {
      method: 'POST',
      agent: options.agent,
      headers: {
        ...headers,
        'content-type': 'application/json',
        accept: 'application/json',
        'content-length': Buffer.byteLength(data),
      },
    });
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const fail = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new NoResponseError(`request failed: ${err.message}`, err.code, timedOut));
    };
    request.on('error', fail);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({
          statusCode: response.statusCode ?? 0,
          headers: response.headers,
          body: parse(Buffer.concat(chunks).toString('utf8')),
        });
      });
      // Cut off mid-body (or by our deadline): the provider may have taken the request.
      response.on('error', fail);
    });
    request.end(data);
  });
}
