// What the service last wrote to each Klaviyo profile, per subscription, so the profile poll can tell its
// own writes (read back with a newer `updated`) from real changes made in Klaviyo (docs/flows.md, "No echo").
import type { Kysely } from 'kysely';
import type { StoreMigration } from './index.ts';

export const flowProfileWritesMigration: StoreMigration = {
  name: '0320_flow_profile_writes',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('flow_profile_writes')
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('written_keys', 'text', (c) => c.notNull())
      .addColumn('written_hash', 'text', (c) => c.notNull())
      .addColumn('seen_hash', 'text')
      .addColumn('written_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('flow_profile_writes_pk', ['subscription_id', 'profile_id'])
      .execute();
  },
};
