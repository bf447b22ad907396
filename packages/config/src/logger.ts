import type { Config } from './load';
import { scrubLogLine } from './log-scrub';

/**
 * pino options shared by the API and the worker: JSON lines, `name` on each,
 * secrets redacted wherever they could appear, pretty output only for a
 * developer's terminal.
 */
export function loggerOptions(config: Pick<Config, 'LOG_LEVEL' | 'NODE_ENV'>, name: string) {
  const pretty = config.NODE_ENV === 'development' && process.stdout.isTTY;
  return {
    name,
    level: config.LOG_LEVEL,
    redact: {
      paths: [
        'req.headers["x-session-id"]',
        'req.headers.authorization',
        'req.headers.cookie',
        '*.password',
        '*.code',
        '*.ver_code',
        '*.APP_SECRET',
        '*.MESSAGEBIRD_ACCESS_KEY',
        '*.ADMIN_PASSWORD',
      ],
      censor: '[redacted]',
    },
    // Paths cannot reach into error messages (driver errors list SQL parameters).
    hooks: { streamWrite: scrubLogLine },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  };
}
