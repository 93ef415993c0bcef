// The subscription's backfill window (docs/configuration.md, "Backfill window"): order events older than
// this many hours are sent as backfill, so they are recorded without triggering the merchant's flows.
// Existing subscriptions get the default too, so an import of old orders into one of them is safe at once.
import type { Kysely } from 'kysely';
import type { StoreMigration } from './index.ts';

export const backfillWindowMigration: StoreMigration = {
  name: '0302_backfill_window',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('subscriptions')
      // The default of this release, written out: a migration must not change when the default does.
      .addColumn('backfill_window_hours', 'integer', (c) => c.notNull().defaultTo(24))
      .execute();
  },
};
