/** The durable job table (outbox) the queue in jobs/ runs on. */
import { sql } from 'kysely';
import { addId, type AnyDb } from './columns.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('job')
    .addColumn(...addId(db))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_after', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint')
    .addColumn('lease_owner', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('job_state_check', sql`state in ('pending', 'running', 'done', 'dead')`)
    .execute();
  // Dedupe: one live job per (kind, key); done and dead jobs stay as history beside it.
  await db.schema
    .createIndex('job_live_key')
    .unique()
    .on('job')
    .columns(['kind', 'key'])
    .where(sql.ref('state'), 'in', ['pending', 'running'])
    .execute();
  await db.schema.createIndex('job_claim').on('job').columns(['kind', 'state', 'run_after']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('job').execute();
}
