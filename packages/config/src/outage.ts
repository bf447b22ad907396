/**
 * For loops that retry a failing dependency (ioredis reconnecting, a periodic
 * sweep): log each outage once, and again only when its cause changes, not on
 * every retry.
 */
export interface OutageLog {
  /** True when `err` starts an outage or changes its cause: the caller logs it. */
  failed(err: Error): boolean;
  /** True when an outage has just ended. */
  recovered(): boolean;
}

export function outageLog(): OutageLog {
  let last = '';
  return {
    failed(err) {
      const fresh = err.message !== last;
      last = err.message;
      return fresh;
    },
    recovered() {
      const ended = last !== '';
      last = '';
      return ended;
    },
  };
}
