/**
 * The index the job claim walks: live jobs of a kind in due order. The claim picks the first
 * pending job whose time has come (or running one whose lease expired) `ORDER BY run_after, id`;
 * with this index both dialects read it in order and stop at the first match, so a backlog of a
 * million queued replications (a backfill) costs a claim no more than an empty queue does.
 */
import { sql } from 'kysely';
import type { AnyDb } from './columns.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex('job_due')
    .on('job')
    .columns(['kind', 'run_after', 'id'])
    .where(sql.ref('state'), 'in', ['pending', 'running'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('job_due').execute();
}
