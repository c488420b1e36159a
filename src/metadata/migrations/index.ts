/**
 * Every migration, listed explicitly: no directory scanning, so the same list works from
 * src/ under tsx and from dist/ once compiled. Add a new file here in timestamp order.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m20261129T1600 from './20261129T1600_create_core_tables.js';
import * as m20261129T1610 from './20261129T1610_create_content_tables.js';
import * as m20261129T1620 from './20261129T1620_create_job_table.js';
import * as m20261130T0900 from './20261130T0900_create_job_due_index.js';
import * as m20261201T0100 from './20261201T0100_create_access_tables.js';

export const migrations: Readonly<Record<string, Migration>> = {
  '20261129T1600_create_core_tables': m20261129T1600,
  '20261129T1610_create_content_tables': m20261129T1610,
  '20261129T1620_create_job_table': m20261129T1620,
  '20261130T0900_create_job_due_index': m20261130T0900,
  '20261201T0100_create_access_tables': m20261201T0100,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
};
