import type { DatabaseConfig } from './config.js';

/**
 * Parses Quay's `DB_URI` (SQLAlchemy form). `sqlite:///rel/path` is relative to the working
 * directory, `sqlite:////abs/path` absolute, `sqlite:///:memory:` in memory;
 * `postgresql://`, `postgres://` and `postgresql+<driver>://` are PostgreSQL.
 * Returns an error message instead of throwing so the caller can name the key.
 */
export function parseDatabaseUri(uri: string): DatabaseConfig | string {
  if (uri.startsWith('sqlite:///')) {
    const path = uri.slice('sqlite:///'.length);
    if (path === '') return 'sqlite URI needs a file path, e.g. sqlite:///data/wharf.db';
    return { dialect: 'sqlite', path };
  }
  const scheme = /^([a-z0-9]+)(\+[a-z0-9]+)?:\/\//.exec(uri);
  if (scheme && (scheme[1] === 'postgresql' || scheme[1] === 'postgres')) {
    return { dialect: 'postgres', url: `postgresql://${uri.slice(scheme[0].length)}` };
  }
  if (scheme) return `unsupported database ${JSON.stringify(scheme[1])}: use sqlite:///PATH or postgresql://...`;
  return 'must be a URI such as sqlite:///data/wharf.db or postgresql://user@host/db';
}
