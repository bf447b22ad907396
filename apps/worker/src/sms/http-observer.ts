import { AsyncLocalStorage } from 'node:async_hooks';
import dc from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

/** What the SDK does not pass on: the HTTP status and Retry-After of the response. */
export interface HttpObservation {
  statusCode?: number;
  retryAfter?: string | string[];
}

// The SDK hands back a 2xx or 429 body without `errors` as success and drops
// the status and headers. Node publishes every client request and response on
// diagnostics channels; the request is tied to the call that made it through
// AsyncLocalStorage, so concurrent sends never see each other's status.
const current = new AsyncLocalStorage<HttpObservation>();
const observations = new WeakMap<ClientRequest, HttpObservation>();

const onRequestStart = (message: unknown) => {
  const observation = current.getStore();
  if (observation) observations.set((message as { request: ClientRequest }).request, observation);
};
const onResponse = (message: unknown) => {
  const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
  const observation = observations.get(request);
  if (!observation) return;
  observation.statusCode = response.statusCode;
  observation.retryAfter = response.headers['retry-after'];
};

let users = 0;

/** Subscribes while at least one transport uses it; returns the unsubscribe. */
export function observeHttp(): () => void {
  if (users++ === 0) {
    dc.subscribe('http.client.request.start', onRequestStart);
    dc.subscribe('http.client.response.finish', onResponse);
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--users === 0) {
      dc.unsubscribe('http.client.request.start', onRequestStart);
      dc.unsubscribe('http.client.response.finish', onResponse);
    }
  };
}

/** Runs `fn` so that the HTTP responses it causes are recorded in `observation`. */
export function withObservation<T>(observation: HttpObservation, fn: () => T): T {
  return current.run(observation, fn);
}
