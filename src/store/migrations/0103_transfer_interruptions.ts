// How many times a claim of a transfer ended without an outcome because its worker stopped (a crash, an
// expired lease). The queue sets a transfer aside once this reaches a bound, so one that kills the
// process every time it runs cannot hold its lane forever.
import type { Kysely } from 'kysely';
import type { StoreMigration } from './index.ts';

export const transferInterruptionsMigration: StoreMigration = {
  name: '0103_transfer_interruptions',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('transfers')
      .addColumn('interruptions', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
