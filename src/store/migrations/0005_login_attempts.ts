// Failed sign-ins counted in the store, not in one process's memory: every process sharing the store
// counts the same tries, and a restart does not give an attacker a fresh budget (docs/security.md).
// The key is a SHA-256 of (client address, user name), so neither is kept in clear.
import type { Kysely } from 'kysely';
import type { StoreMigration } from './index.ts';

export const loginAttemptsMigration: StoreMigration = {
  name: '0005_login_attempts',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('login_attempts')
      .addColumn('key_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('tries', 'integer', (c) => c.notNull())
      .addColumn('window_ends', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('login_attempts_window_ends')
      .on('login_attempts')
      .column('window_ends')
      .execute();
  },
};
