// Collision handling became effective with this release: before it, every customer Add collection behaved
// as `update_and_link` whatever it stored, and the defaults stored `error`. Stored customer Add collections
// that say `error` are set to `update_and_link`, so no existing subscription starts failing on collisions.
import type { Kysely } from 'kysely';
import type { StoreMigration } from './index.ts';

export const collisionHandlingMigration: StoreMigration = {
  name: '0301_collision_handling',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>) {
    await db
      .updateTable('mapping_collections')
      .set({ collision_handling: 'update_and_link' })
      .where('type', '=', 'customer')
      .where('sync_type', 'in', ['add', 'add_and_update'])
      .where('collision_handling', '=', 'error')
      .execute();
  },
};
