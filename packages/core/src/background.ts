/**
 * Work a service starts and does not wait for (it answers first). Its
 * failures go to `onError`: nobody else will hear of them. `settled()` lets
 * shutdown and tests wait for it.
 */
export class BackgroundTasks {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly onError: (err: Error) => void = () => {}) {}

  run(work: () => Promise<void>): void {
    const task: Promise<void> = work()
      .catch((err: Error) => this.onError(err))
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** Resolves once every task, including ones started meanwhile, is done. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
