// Transfers (the embedded queue and the log), their steps, links, watermarks and queue pauses.
import { type Kysely, sql } from 'kysely';
import type { StoreKind } from '../db.ts';
import type { StoreMigration } from './index.ts';

export const transfersMigration: StoreMigration = {
  name: '0101_transfers',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>, kind: StoreKind) {
    let transfers = db.schema.createTable('transfers');
    transfers =
      kind === 'postgres'
        ? transfers.addColumn('id', 'bigserial', (c) => c.primaryKey())
        : transfers.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    await transfers
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('collection_id', 'text')
      .addColumn('flow', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('record_kind', 'text', (c) => c.notNull())
      .addColumn('record_id', 'text', (c) => c.notNull())
      .addColumn('record_version', 'bigint')
      .addColumn('collapse_key', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('debug', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('lease_until', 'bigint')
      .addColumn('claimed_by', 'text')
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('tracking_id', 'text', (c) => c.notNull())
      .addColumn('payload', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // The claim: the oldest ready transfer of a lane (subscription, flow).
    await sql`CREATE INDEX transfers_ready ON transfers (state, subscription_id, flow, priority, id)`.execute(
      db,
    );
    await sql`CREATE INDEX transfers_due ON transfers (state, next_attempt_at)`.execute(db);
    await sql`CREATE INDEX transfers_subscription ON transfers (subscription_id, id)`.execute(db);
    await sql`CREATE INDEX transfers_record ON transfers (record_id, id)`.execute(db);
    await sql`CREATE INDEX transfers_updated ON transfers (updated_at)`.execute(db);
    // Duplicate collapsing: at most one queued transfer per record and flow of a subscription.
    await sql`CREATE UNIQUE INDEX transfers_collapse ON transfers (subscription_id, collapse_key)
      WHERE state = 'queued' AND collapse_key IS NOT NULL`.execute(db);

    let steps = db.schema.createTable('transfer_steps');
    steps =
      kind === 'postgres'
        ? steps.addColumn('id', 'bigserial', (c) => c.primaryKey())
        : steps.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    await steps
      .addColumn('transfer_id', 'bigint', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('level', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('data', 'text')
      .execute();
    await db.schema
      .createIndex('transfer_steps_transfer')
      .on('transfer_steps')
      .columns(['transfer_id', 'id'])
      .execute();

    await db.schema
      .createTable('links')
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('table_name', 'text', (c) => c.notNull())
      .addColumn('hub_id', 'text', (c) => c.notNull())
      .addColumn('klaviyo_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('links_pk', ['subscription_id', 'table_name', 'hub_id'])
      .execute();
    await db.schema
      .createIndex('links_klaviyo')
      .on('links')
      .columns(['subscription_id', 'table_name', 'klaviyo_id'])
      .execute();

    await db.schema
      .createTable('watermarks')
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('watermarks_pk', ['subscription_id', 'name'])
      .execute();

    await db.schema
      .createTable('transfer_pauses')
      .addColumn('subscription_id', 'text', (c) => c.primaryKey())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('paused_at', 'text', (c) => c.notNull())
      .execute();
  },
};
