import type { RedisClient } from '@sms/jobs';
import type { Logger } from 'pino';

export type ProviderState = 'healthy' | 'unhealthy' | 'probing';
export const PROVIDER_STATES: readonly ProviderState[] = ['healthy', 'unhealthy', 'probing'];

export interface HealthOptions {
  /** The queue's braced prefix (`{sms}`): every key in the queue's slot, so MGET works on Redis Cluster. */
  prefix: string;
  /** The providers in order of preference. */
  names: readonly string[];
  /** Retryable failures in a row that make a provider unhealthy. */
  threshold: number;
  cooldownMs: number;
  /** How long a probe holds its provider; a probing worker that dies frees it after this. */
  probeLeaseMs: number;
  logger: Logger;
  /** Told each provider's state as this worker last read it (the metrics' gauge). */
  onState?: (name: string, state: ProviderState) => void;
}

/** A provider to send through (`dirty`: it has failures to forget), or how long until one may be. */
export type Choice = { name: string; probe: boolean; dirty: boolean } | { name: null; waitMs: number };

/** The shortest a wait for a provider is: a probe in another worker's hands is checked again after it. */
const MIN_WAIT_MS = 250;
/** The "no provider" alert is logged once per outage, and again after this if it lasts. */
const NONE_ALERT_REPEAT_MS = 10 * 60_000;

/**
 * Which providers may be sent through, shared by every worker in Redis:
 * per provider a count of retryable failures in a row, and while it is
 * unhealthy the time it may be probed again (`until`). Once `until` has
 * passed, the worker that wins the probe lock (SET NX PX) sends one message
 * through it; a success deletes `until` (healthy again), a failure sets it a
 * cool-down further. A provider with no `until` is healthy.
 */
export class ProviderHealth {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: HealthOptions,
  ) {}

  private key(name: string, what: 'failures' | 'until' | 'probe' | 'none-alerted'): string {
    return `${this.options.prefix}:provider:${name}:${what}`;
  }

  /** Every provider's state as Redis has it, in one round trip (every key shares the queue's hash tag). */
  private async read(): Promise<{ name: string; state: ProviderState; untilMs: number; dirty: boolean }[]> {
    const { names } = this.options;
    const values = await this.redis.mget(...names.flatMap((n) => [this.key(n, 'until'), this.key(n, 'failures')]));
    const now = Date.now();
    return names.map((name, i) => {
      const until = values[2 * i] == null ? null : Number(values[2 * i]);
      const state: ProviderState = until === null ? 'healthy' : until > now ? 'unhealthy' : 'probing';
      this.options.onState?.(name, state);
      return { name, state, untilMs: until === null ? 0 : until - now, dirty: values[2 * i + 1] != null };
    });
  }

  /** Each provider's state as Redis has it now. */
  async states(): Promise<Record<string, ProviderState>> {
    return Object.fromEntries((await this.read()).map((p) => [p.name, p.state]));
  }

  /** The first provider not in `skip` that is healthy, or whose cool-down is over and whose probe this worker won. */
  async choose(skip: ReadonlySet<string> = new Set()): Promise<Choice> {
    const providers = await this.read();
    for (const { name, state, dirty } of providers) {
      if (skip.has(name) || state === 'unhealthy') continue;
      if (state === 'healthy') return { name, probe: false, dirty };
      if (await this.claimProbe(name)) return { name, probe: true, dirty };
    }
    const aside = providers.filter((p) => p.state === 'unhealthy').map((p) => p.untilMs);
    return { name: null, waitMs: Math.max(MIN_WAIT_MS, ...(aside.length ? [Math.min(...aside)] : [])) };
  }

  private async claimProbe(name: string): Promise<boolean> {
    const set = await this.redis.set(
      this.key(name, 'probe'),
      String(Date.now()),
      'PX',
      this.options.probeLeaseMs,
      'NX',
    );
    return set === 'OK';
  }

  /** The provider took a message: healthy, its failures forgotten (nothing to write when it had none). */
  async succeeded(choice: { name: string; probe: boolean; dirty: boolean }): Promise<void> {
    const { name } = choice;
    if (!choice.probe && !choice.dirty) return;
    const [, until] = await Promise.all([
      this.redis.del(this.key(name, 'failures')),
      this.redis.del(this.key(name, 'until')),
    ]);
    await this.redis.del(this.key(name, 'probe'));
    if (until > 0) {
      await this.redis.del(this.key('*', 'none-alerted'));
      this.options.onState?.(name, 'healthy');
      this.options.logger.warn({ provider: name }, `SMS provider ${name} recovered: sending through it again`);
    }
  }

  /** No provider may be sent through: true for the one worker that should raise the alert (once per outage). */
  async alertNone(): Promise<boolean> {
    const set = await this.redis.set(this.key('*', 'none-alerted'), '1', 'PX', NONE_ALERT_REPEAT_MS, 'NX');
    return set === 'OK';
  }

  /**
   * A retryable failure (5xx, 429, timeout, network). `restMs` keeps the
   * provider aside at least that long whatever the count (a 429's Retry-After).
   */
  async failed(name: string, probe: boolean, reason: string, restMs = 0): Promise<void> {
    const count = await this.redis.incr(this.key(name, 'failures'));
    // A failed probe after a run of failures waits a whole cool-down again; one
    // after a shorter rest (a 429, an operator pause) leaves the next message to probe.
    const ms = Math.max(restMs, count >= this.options.threshold ? this.options.cooldownMs : 0);
    if (ms > 0) await this.setAside(name, ms, `${reason}, ${count} failure(s) in a row`);
    if (probe) await this.redis.del(this.key(name, 'probe'));
  }

  /** Paused by an operator problem (bad key, no balance): aside for `ms`, then probed. */
  async pause(name: string, ms: number, reason: string): Promise<void> {
    await this.setAside(name, ms, reason);
    await this.redis.del(this.key(name, 'probe'));
  }

  /** Sets `until`; only the worker that turns a healthy provider unhealthy logs it. */
  private async setAside(name: string, ms: number, why: string): Promise<void> {
    const until = Date.now() + ms;
    const key = this.key(name, 'until');
    if ((await this.redis.set(key, String(until), 'NX')) === 'OK') {
      this.options.onState?.(name, 'unhealthy');
      this.options.logger.warn(
        { provider: name, reason: why, untilMs: ms },
        `SMS provider ${name} unhealthy (${why}): skipped for ${ms / 1000} s, then probed`,
      );
      return;
    }
    // Already aside (or its probe just failed): never shortened by a shorter rest.
    const current = Number(await this.redis.get(key));
    if (!(current >= until)) await this.redis.set(key, String(until));
    this.options.onState?.(name, 'unhealthy');
  }
}
