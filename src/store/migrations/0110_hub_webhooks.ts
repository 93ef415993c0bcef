// Outbound hub webhook endpoints (docs/webhooks.md): where changes Klaviyo made to hub records are announced.
// Deliveries themselves are transfers (flow `hub-webhook`), so they need no table of their own.
import type { Kysely } from 'kysely';
import type { StoreKind } from '../db.ts';
import type { StoreMigration } from './index.ts';

export const hubWebhooksMigration: StoreMigration = {
  name: '0110_hub_webhooks',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>, _kind: StoreKind) {
    await db.schema
      .createTable('hub_webhooks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('subscription_ids', 'text')
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('secret_enc', 'text', (c) => c.notNull())
      .addColumn('secret_last4', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
