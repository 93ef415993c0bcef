// The Klaviyo flows' tables: profile versions seen by the poll (deduplication by id and updated, and no
// echo of our own writes) and status events sent per transaction.
import type { Kysely } from 'kysely';
import type { StoreMigration } from './index.ts';

export const flowsMigration: StoreMigration = {
  name: '0300_flows',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('flow_profile_versions')
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('updated_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('flow_profile_versions_pk', ['subscription_id', 'profile_id'])
      .execute();
    await db.schema
      .createTable('flow_event_marks')
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('record_id', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('unique_id', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('flow_event_marks_pk', ['subscription_id', 'record_id', 'metric'])
      .execute();
  },
};
