// Mapping collections, their mappings, and the per-subscription revision that invalidates compiled caches.
import type { Kysely } from 'kysely';
import type { StoreMigration } from './index.ts';

export const mappingMigration: StoreMigration = {
  name: '0200_mapping',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('mapping_collections')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('subscription_id', 'text', (c) =>
        c.notNull().references('subscriptions.id').onDelete('cascade'),
      )
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('sync_type', 'text', (c) => c.notNull())
      .addColumn('parent_id', 'text')
      .addColumn('mapping_filter', 'text')
      .addColumn('error_filter', 'text')
      .addColumn('error_message', 'text')
      .addColumn('collision_handling', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('sort_order', 'integer', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('mapping_collections_subscription')
      .on('mapping_collections')
      .columns(['subscription_id', 'sort_order'])
      .execute();
    await db.schema
      .createTable('mappings')
      .addColumn('collection_id', 'text', (c) =>
        c.notNull().references('mapping_collections.id').onDelete('cascade'),
      )
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('source', 'text')
      .addColumn('formula', 'text')
      .addColumn('value_json', 'text')
      .addColumn('lookup_table_json', 'text')
      .addColumn('default_json', 'text')
      .addColumn('description', 'text')
      .addPrimaryKeyConstraint('mappings_pk', ['collection_id', 'position'])
      .execute();
    await db.schema
      .createTable('mapping_revisions')
      .addColumn('subscription_id', 'text', (c) =>
        c.primaryKey().references('subscriptions.id').onDelete('cascade'),
      )
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
  },
};
