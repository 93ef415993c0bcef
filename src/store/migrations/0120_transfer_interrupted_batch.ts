// The size of the batch a transfer was in when its worker stopped (a crash, an expired lease). The queue
// uses it to retry an interrupted batch whole, then to halve it around a transfer that keeps stopping
// the worker, instead of running every transfer of the batch alone (docs/transfers.md).
import type { Kysely } from 'kysely';
import type { StoreMigration } from './index.ts';

export const transferInterruptedBatchMigration: StoreMigration = {
  name: '0120_transfer_interrupted_batch',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('transfers')
      .addColumn('interrupted_batch', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
