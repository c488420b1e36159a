import { pino } from 'pino';

/** The structured logger every module receives (JSON lines; pino). */
export type Logger = pino.Logger;

/** `bindings` are added to every line (e.g. `{ worker: 2 }` in `serve --workers N`). */
export function createLogger(options: { level?: string; destination?: number | string; bindings?: Record<string, unknown> } = {}): Logger {
  const level = options.level ?? process.env.WHARF_LOG_LEVEL ?? 'info';
  return pino(
    {
      level,
      base: { service: 'wharf', ...options.bindings },
      // Secrets must never reach the logs, whichever code path logs a header or a config.
      redact: { paths: ['req.headers.authorization', '*.password', '*.secret_key', '*.s3_secret_key', '*.azure_account_key'], censor: '[redacted]' },
    },
    pino.destination({ dest: options.destination ?? 1, sync: false }),
  );
}

/**
 * Whether one line per HTTP request is logged: at info level unless `WHARF_REQUEST_LOG=off`
 * (for deployments whose proxy already keeps an access log; lifecycle lines stay).
 */
export function requestLogEnabled(logger: Logger, env: NodeJS.ProcessEnv = process.env): boolean {
  return logger.isLevelEnabled('info') && env.WHARF_REQUEST_LOG !== 'off';
}

/** A logger that drops everything, for tests that assert on behaviour rather than logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
