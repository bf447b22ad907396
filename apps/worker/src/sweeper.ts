import { outageLog, type Config } from '@sms/config';
import type { SmsMessagesRepository } from '@sms/db';
import { enqueueSms, jobIdFor, type SmsQueue } from '@sms/jobs';
import type { Logger } from 'pino';
import type { WorkerMetrics } from './metrics';

export interface SweeperDeps {
  messages: Pick<SmsMessagesRepository, 'takeOverdue' | 'stillUnsent'>;
  queue: SmsQueue;
  logger: Logger;
  metrics: WorkerMetrics;
  config: Pick<Config, 'OUTBOX_SWEEP_INTERVAL_MS' | 'OUTBOX_SWEEP_AGE_MS'>;
  batchSize?: number;
}

/**
 * The outbox relay. The API enqueues after its transaction commits; when that
 * enqueue never happened (Redis down, the API died in between) or the job was
 * lost or gave up while the row still waits, the row is overdue here and gets
 * its job again. The fixed job id makes a second add a no-op while the job
 * exists, and the processor's status check makes a second job harmless.
 *
 * A pass takes its rows in one short transaction (SKIP LOCKED, then moved
 * past the overdue age) and checks their jobs after it. So sweepers in several
 * workers do not handle the same row at the same time (unless a pass's checks
 * outlast OUTBOX_SWEEP_AGE_MS: then the fixed job id and ensureJobs keep it to
 * one job), and a worker claiming a row never waits for a sweep's Redis round
 * trips. (It did while the rows stayed locked through the checks: under a
 * backlog older than OUTBOX_SWEEP_AGE_MS, claims of the oldest rows, the ones
 * workers take next, waited for whole passes.)
 */
export class OutboxSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;
  // Logs an outage once, not on every tick.
  private readonly outage = outageLog();
  private readonly batchSize: number;

  constructor(private readonly deps: SweeperDeps) {
    this.batchSize = deps.batchSize ?? 500;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.deps.config.OUTBOX_SWEEP_INTERVAL_MS);
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.sweepOnce().then(
        (count) => {
          this.outage.recovered();
          // A full batch: there is probably more; go again at once.
          this.schedule(count >= this.batchSize ? 0 : this.deps.config.OUTBOX_SWEEP_INTERVAL_MS);
        },
        (err: Error) => {
          if (this.outage.failed(err)) this.deps.logger.warn({ err: err.message }, 'outbox sweep failed');
          this.schedule(this.deps.config.OUTBOX_SWEEP_INTERVAL_MS);
        },
      );
    }, delayMs);
  }

  /** One pass; returns how many rows were looked at. */
  async sweepOnce(): Promise<number> {
    const { messages, config } = this.deps;
    const ids = await messages.takeOverdue(new Date(Date.now() - config.OUTBOX_SWEEP_AGE_MS), this.batchSize);
    if (ids.length === 0) return 0;
    // The rows are no longer locked here (see takeOverdue). If Redis fails
    // now, they are overdue again after OUTBOX_SWEEP_AGE_MS and retried then.
    const revived = await this.ensureJobs(ids);
    if (revived) {
      this.deps.metrics.sweeperEnqueued.inc(revived);
      this.deps.logger.info({ revived, overdue: ids.length }, 'outbox sweeper re-enqueued overdue messages');
    }
    return ids.length;
  }

  /**
   * Adds a job for each id that has none; a finished job (completed, or failed
   * after its attempts) of a row that is still not final is replaced. Waiting,
   * delayed and active jobs are left alone. Returns how many were (re)added.
   *
   * The rows are not locked here, so a worker may finish one while its job is
   * looked up (a backlog's rows are overdue with their jobs still waiting):
   * its job is then finished and its row final. Rows are read again after the
   * lookups, and only those still unsent get a job; a job finishes after its
   * row is written, so a finished job with an unsent row is one to replace.
   */
  private async ensureJobs(ids: string[]): Promise<number> {
    const { queue, messages } = this.deps;
    const jobs = await Promise.all(ids.map((id) => queue.getJob(jobIdFor(id))));
    const jobless = ids.filter((_, i) => !jobs[i] || jobs[i].finishedOn);
    const unsent = new Set(await messages.stillUnsent(jobless));
    const toAdd: string[] = [];
    await Promise.all(
      ids.map(async (id, i) => {
        const job = jobs[i];
        if (!unsent.has(id)) return;
        if (job) {
          // Another sweeper may have replaced it already (a pass that outlasted
          // OUTBOX_SWEEP_AGE_MS): its new job stays, and this id is left to it.
          const removed = await job.remove().then(
            () => true,
            () => false,
          );
          if (!removed) return;
        }
        toAdd.push(id);
      }),
    );
    await enqueueSms(queue, toAdd);
    return toAdd.length;
  }
}
