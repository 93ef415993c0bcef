// Subscriptions written straight into the store, for tests and benchmarks that need one to exist without
// going through the subscriptions API (which validates, encrypts and checks the connection). The defaults
// are the settings' defaults (docs/configuration.md); a caller overrides only what its test is about.
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import { insertSubscription, type SubscriptionRow } from '../../src/store/repositories/subscriptions.ts';

/** A complete subscriptions row: default settings, not connected, an API-key subscription with no key yet. */
export function subscriptionRow(
  overrides: Partial<SubscriptionRow> & Pick<SubscriptionRow, 'id' | 'name'>,
): SubscriptionRow {
  const now = new Date().toISOString();
  return {
    version: 'v1.0',
    api_url: 'https://a.klaviyo.com',
    api_key_enc: null,
    api_key_last4: null,
    api_revision: null,
    generate_events: 1,
    throttle_limit: 3500,
    throttle_seconds: 60,
    hub_throttle_limit: 6000,
    hub_throttle_seconds: 60,
    concurrent_connections: 10,
    webhook_key_enc: 'x',
    polling_interval_minutes: 5,
    default_phone_country: null,
    create_missing_lists: 0,
    backfill_window_hours: 24,
    auth_method: 'api_key',
    status: 'not_connected',
    status_message: null,
    account_id: null,
    account_name: null,
    checked_at: null,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

/** Inserts the rows `subscriptionRow` builds from each set of overrides. */
export async function addSubscriptionRows(
  db: Kysely<Database>,
  ...rows: Array<Parameters<typeof subscriptionRow>[0]>
): Promise<void> {
  for (const overrides of rows) await insertSubscription(db, subscriptionRow(overrides));
}
