// The lanes (subscription, flow) of the transfer queue, so a claim seeks each lane's head instead of
// scanning the queue.
import { type Kysely, sql } from 'kysely';
import type { StoreKind } from '../db.ts';
import type { StoreMigration } from './index.ts';

export const transferLanesMigration: StoreMigration = {
  name: '0102_transfer_lanes',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>, _kind: StoreKind) {
    await db.schema
      .createTable('transfer_lanes')
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('flow', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('transfer_lanes_pk', ['subscription_id', 'flow'])
      .execute();
    await sql`INSERT INTO transfer_lanes (subscription_id, flow) SELECT DISTINCT subscription_id, flow FROM transfers`.execute(
      db,
    );
  },
};
