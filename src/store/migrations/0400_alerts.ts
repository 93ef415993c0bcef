// Alerts: channel settings, per-subscription rules, the alerts themselves (one row per episode) and
// their notifications (one row per channel and event), and the queue depth samples of health charts.
import { type Kysely, sql } from 'kysely';
import type { StoreKind } from '../db.ts';
import type { StoreMigration } from './index.ts';

export const alertsMigration: StoreMigration = {
  name: '0400_alerts',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>, _kind: StoreKind) {
    await db.schema
      .createTable('alert_channels')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('secret_enc', 'text')
      .addColumn('secret_last4', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('alert_rules')
      .addColumn('subscription_id', 'text', (c) => c.primaryKey())
      .addColumn('paused_enabled', 'integer', (c) => c.notNull())
      .addColumn('dead_enabled', 'integer', (c) => c.notNull())
      .addColumn('failure_window_minutes', 'integer', (c) => c.notNull())
      .addColumn('max_failures', 'integer')
      .addColumn('max_failure_percent', 'real')
      .addColumn('min_transfers', 'integer', (c) => c.notNull())
      .addColumn('email_to', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('subscription_id', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('code', 'text')
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'text', (c) => c.notNull())
      .addColumn('resolved_at', 'text')
      .addColumn('resolution', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // One open episode per subscription and kind, even with several processes checking at once.
    await sql`CREATE UNIQUE INDEX alerts_open ON alerts (subscription_id, kind) WHERE state = 'open'`.execute(
      db,
    );
    await db.schema.createIndex('alerts_opened').on('alerts').columns(['opened_at']).execute();
    await db.schema
      .createTable('alert_notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('alert_id', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('claimed_until', 'bigint')
      .addColumn('error', 'text')
      .addColumn('sent_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('alert_notifications_alert')
      .on('alert_notifications')
      .columns(['alert_id'])
      .execute();
    await db.schema
      .createIndex('alert_notifications_due')
      .on('alert_notifications')
      .columns(['state', 'next_attempt_at'])
      .execute();
    await db.schema
      .createTable('queue_depth_samples')
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('minute', 'bigint', (c) => c.notNull())
      .addColumn('peak', 'integer', (c) => c.notNull())
      .addColumn('last', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('queue_depth_samples_pk', ['subscription_id', 'minute'])
      .execute();
    await db.schema
      .createIndex('queue_depth_samples_minute')
      .on('queue_depth_samples')
      .columns(['minute'])
      .execute();
  },
};
