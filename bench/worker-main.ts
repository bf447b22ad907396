// The real worker process (apps/worker's runWorker: config, database check,
// sweeper, metrics, shutdown) with a fake provider in place of MessageBird:
// it takes every SMS after BENCH_PROVIDER_LATENCY_MS (0: at once).
import { setTimeout as sleep } from 'node:timers/promises';
import { runWorker } from '../apps/worker/src/run';
import type { OutgoingSms, SendResult, Transport } from '../apps/worker/src/sms';

const latencyMs = Number(process.env.BENCH_PROVIDER_LATENCY_MS ?? '0');

class FakeProvider implements Transport {
  readonly name = 'bench' as const;
  private sent = 0;

  async send(_sms: OutgoingSms): Promise<SendResult> {
    if (latencyMs > 0) await sleep(latencyMs);
    this.sent += 1;
    return { providerMessageId: `bench-${this.sent}` };
  }

  async close(): Promise<void> {}
}

await runWorker({ transport: () => new FakeProvider() });
