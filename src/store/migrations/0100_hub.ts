// Hub records (one table for every kind) and the change-sequence counter.
import { type Kysely, sql } from 'kysely';
import type { StoreKind } from '../db.ts';
import type { StoreMigration } from './index.ts';

export const hubMigration: StoreMigration = {
  name: '0100_hub',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>, _kind: StoreKind) {
    await db.schema
      .createTable('hub_records')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('origin_subscription_id', 'text')
      .addPrimaryKeyConstraint('hub_records_pk', ['kind', 'id'])
      .execute();
    await db.schema.createIndex('hub_records_version').on('hub_records').column('version').execute();
    await db.schema.createIndex('hub_records_email').on('hub_records').columns(['kind', 'email']).execute();
    await db.schema
      .createTable('hub_sequence')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await sql`INSERT INTO hub_sequence (name, value) VALUES ('hub', 0)`.execute(db);
  },
};
