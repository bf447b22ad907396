// What every fixture needs: the servers tests run against, a name of the test's
// own, and tap's teardown, passing and comment (the only parts of tap the fixtures rely on).
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '@sms/config';

export interface Teardown {
  teardown(fn: () => unknown): void;
  /** tap's: false once the test has failed (read at teardown: the processes' logs are printed then). */
  passing?(): boolean;
  /** tap's: a TAP comment. */
  comment?(...message: unknown[]): void;
}

/** The server tests run against: DATABASE_URL / REDIS_URL of the environment, or the local defaults. */
export const baseConfig = (): Config => loadConfig();

/**
 * `prefix_pid_random`; with SMS_TEST_RUN set (the mutation run sets it),
 * `prefix_run_pid_random`, so whatever a killed test process left behind can
 * be found and removed when the run ends.
 */
export const uniqueName = (prefix: string) =>
  // eslint-disable-next-line no-restricted-properties -- the test run's tag, not service configuration
  [prefix, process.env.SMS_TEST_RUN, process.pid, randomBytes(4).toString('hex')].filter(Boolean).join('_');
