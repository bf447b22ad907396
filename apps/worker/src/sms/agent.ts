import https from 'node:https';

/**
 * The HTTPS agent for MessageBird calls. The `messagebird` SDK (4.0.1) adds a
 * `timeout` listener to the request's socket on every call and never removes
 * it; Node 20's default agent keeps sockets alive and reuses them, so the
 * listeners (each holding its finished request) pile up on a long-lived socket
 * and memory grows with every SMS. An agent that never reuses a socket gives
 * each request a fresh one that dies with it, listeners and all.
 * `maxSockets` stays unbounded on purpose: requests queued behind a cap would
 * be handed a used socket again. Concurrency is bounded by the worker instead.
 *
 * `options` is for tests only (where to connect, which CA to trust).
 */
export function createMessageBirdAgent(options: https.AgentOptions = {}): https.Agent {
  return new https.Agent({ ...options, keepAlive: false, maxSockets: Infinity });
}

/**
 * The SDK calls `https.request` without an `agent` option, so the request uses
 * `https.globalAgent`; it has no other way in. The worker makes no other HTTPS
 * calls, so replacing the global agent for the process is the narrowest fix
 * available without forking the SDK. Returns a function that puts the previous
 * agent back.
 */
export function installGlobalAgent(agent: https.Agent): () => void {
  const target = https as { globalAgent: https.Agent };
  const previous = target.globalAgent;
  target.globalAgent = agent;
  return () => {
    if (target.globalAgent === agent) target.globalAgent = previous;
  };
}
