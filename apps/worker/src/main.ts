// The worker process (see run.ts): config, database check, the `sms` queue,
// the outbox sweeper, /metrics and graceful shutdown.
import { runWorker } from './run';

await runWorker();
