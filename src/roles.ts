/**
 * What one process runs: the HTTP API (`web`), the replication worker (`replication`). Its own
 * module so that the CLI can name the roles without loading the whole application (main.ts).
 */
export const ROLES = ['web', 'replication'] as const;
export type Role = (typeof ROLES)[number];
