import { pino } from 'pino';

/** The structured logger every module receives (JSON lines; pino). */
export type Logger = pino.Logger;

export function createLogger(options: { level?: string; destination?: number | string } = {}): Logger {
  const level = options.level ?? process.env.WHARF_LOG_LEVEL ?? 'info';
  return pino(
    {
      level,
      base: { service: 'wharf' },
      // Secrets must never reach the logs, whichever code path logs a header or a config.
      redact: { paths: ['req.headers.authorization', '*.password', '*.secret_key', '*.s3_secret_key', '*.azure_account_key'], censor: '[redacted]' },
    },
    pino.destination({ dest: options.destination ?? 1, sync: false }),
  );
}

/** A logger that drops everything, for tests that assert on behaviour rather than logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
