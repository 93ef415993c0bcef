// Users, sessions, API tokens, setup links, service settings, subscriptions, flow toggles, OAuth state
// and tokens.
import type { Kysely } from 'kysely';
import type { StoreKind } from '../db.ts';
import type { StoreMigration } from './index.ts';

export const coreMigration: StoreMigration = {
  name: '0001_core',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>, _kind: StoreKind) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .execute();
    await db.schema
      .createTable('setup_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .execute();
    await db.schema
      .createTable('service_settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('subscriptions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('api_url', 'text', (c) => c.notNull())
      .addColumn('api_key_enc', 'text')
      .addColumn('api_key_last4', 'text')
      .addColumn('api_revision', 'text')
      .addColumn('generate_events', 'integer', (c) => c.notNull())
      .addColumn('throttle_limit', 'integer', (c) => c.notNull())
      .addColumn('throttle_seconds', 'integer', (c) => c.notNull())
      .addColumn('hub_throttle_limit', 'integer', (c) => c.notNull())
      .addColumn('hub_throttle_seconds', 'integer', (c) => c.notNull())
      .addColumn('concurrent_connections', 'integer', (c) => c.notNull())
      .addColumn('webhook_key_enc', 'text', (c) => c.notNull())
      .addColumn('polling_interval_minutes', 'integer', (c) => c.notNull())
      .addColumn('default_phone_country', 'text')
      .addColumn('create_missing_lists', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('auth_method', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_message', 'text')
      .addColumn('account_id', 'text')
      .addColumn('account_name', 'text')
      .addColumn('checked_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('subscription_flows')
      .addColumn('subscription_id', 'text', (c) =>
        c.notNull().references('subscriptions.id').onDelete('cascade'),
      )
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('subscription_flows_pk', ['subscription_id', 'scope'])
      .execute();
    await db.schema
      .createTable('oauth_states')
      .addColumn('state_hash', 'text', (c) => c.primaryKey())
      .addColumn('subscription_id', 'text', (c) =>
        c.notNull().references('subscriptions.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('code_verifier_enc', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .execute();
    await db.schema
      .createTable('oauth_tokens')
      .addColumn('subscription_id', 'text', (c) =>
        c.primaryKey().references('subscriptions.id').onDelete('cascade'),
      )
      .addColumn('access_token_enc', 'text', (c) => c.notNull())
      .addColumn('refresh_token_enc', 'text', (c) => c.notNull())
      .addColumn('access_token_last4', 'text', (c) => c.notNull())
      .addColumn('refresh_token_last4', 'text', (c) => c.notNull())
      .addColumn('access_token_expires_at', 'bigint', (c) => c.notNull())
      .addColumn('scope', 'text')
      .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .addColumn('refresh_blocked_until', 'bigint')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
