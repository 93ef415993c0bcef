// Roles and invitations (docs/security.md): each user and each API token gets a role; a setup link can
// also be an invitation that names the user to create and the role to give. Users and tokens made before
// roles existed were the admin's, so they become `admin`.
import type { Kysely } from 'kysely';
import type { StoreKind } from '../db.ts';
import type { StoreMigration } from './index.ts';

export const rolesMigration: StoreMigration = {
  name: '0010_roles',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>, _kind: StoreKind) {
    await db.schema
      .alterTable('users')
      .addColumn('role', 'text', (c) => c.notNull().defaultTo('admin'))
      .execute();
    await db.schema
      .alterTable('api_tokens')
      .addColumn('role', 'text', (c) => c.notNull().defaultTo('admin'))
      .execute();
    // An invitation is a setup link with a username and a role; the first admin's link has neither.
    await db.schema.alterTable('setup_tokens').addColumn('id', 'text').execute();
    await db.schema.alterTable('setup_tokens').addColumn('username', 'text').execute();
    await db.schema.alterTable('setup_tokens').addColumn('role', 'text').execute();
    await db.schema.alterTable('setup_tokens').addColumn('invited_by', 'text').execute();
    await db.schema.alterTable('setup_tokens').addColumn('created_at', 'text').execute();
    await db.schema.createIndex('setup_tokens_id').on('setup_tokens').column('id').unique().execute();
  },
};
