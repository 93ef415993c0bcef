// What the engine needs to know from other areas — which subscriptions have a scope's outbound flow on,
// a subscription's webhook key and polling interval, and which flow a collection belongs to — behind
// small interfaces, with implementations that read the store directly.
import type { Kysely } from 'kysely';
import { DEFAULT_FLOW_SETTINGS, type HubScope } from '../domain/hub.ts';
import type { Store } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { FROM_HUB_FLOW, PROFILE_TO_CUSTOMER_FLOW } from './flows.ts';
import type { Direction, FlowSettingsSource } from './types.ts';

export interface PollingSubscription {
  id: string;
  polling_interval_minutes: number;
  created_at: string;
}

export interface SubscriptionSource {
  exists(subscriptionId: string): Promise<boolean>;
  /** The subscription's webhook key in clear, or null when there is no such subscription. */
  webhookKey(subscriptionId: string): Promise<string | null>;
  /** Every subscription with its polling interval (the scheduler polls each at its own pace). */
  polling(): Promise<PollingSubscription[]>;
}

export interface ManualSyncTarget {
  collection_id: string;
  flow: string;
  direction: Direction;
  record_kind: string;
}

export interface CollectionSource {
  /** The flow a subscription's collection runs in, or null when the collection is not the subscription's. */
  target(subscriptionId: string, collectionId: string): Promise<ManualSyncTarget | null>;
}

/** The flow that runs a collection of a type and direction (parent collections only). */
export function flowOfCollection(
  type: string,
  direction: Direction,
): { flow: string; record_kind: string } | null {
  if (direction === 'to_hub')
    return type === 'customer' ? { flow: PROFILE_TO_CUSTOMER_FLOW, record_kind: 'profile' } : null;
  if (type === 'customer' || type === 'transaction' || type === 'product') {
    return { flow: FROM_HUB_FLOW[type], record_kind: type };
  }
  return null;
}

/** Flow toggles from the subscriptions area's `subscription_flows`; a scope without a row has its default. */
export const storeFlowSettings: FlowSettingsSource = {
  async subscriptionsWithScope(db: Kysely<Database>, scope: HubScope): Promise<string[]> {
    const rows = await db
      .selectFrom('subscriptions as s')
      .leftJoin('subscription_flows as f', (j) =>
        j.onRef('f.subscription_id', '=', 's.id').on('f.scope', '=', scope),
      )
      .select(['s.id', 'f.enabled'])
      .execute();
    const byDefault = DEFAULT_FLOW_SETTINGS[scope] ? 1 : 0;
    return rows.filter((r) => (r.enabled ?? byDefault) === 1).map((r) => r.id);
  },
};

export function storeSubscriptions(store: Store, decrypt: (enc: string) => string): SubscriptionSource {
  return {
    async exists(id) {
      const r = await store.db
        .selectFrom('subscriptions')
        .select('id')
        .where('id', '=', id)
        .executeTakeFirst();
      return r !== undefined;
    },
    async webhookKey(id) {
      const r = await store.db
        .selectFrom('subscriptions')
        .select('webhook_key_enc')
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? decrypt(r.webhook_key_enc) : null;
    },
    async polling() {
      return store.db
        .selectFrom('subscriptions')
        .select(['id', 'polling_interval_minutes', 'created_at'])
        .orderBy('id')
        .execute();
    },
  };
}

/** Until the mapping area stores collections, no collection is known and manual sync answers 404. */
export const noCollections: CollectionSource = {
  async target() {
    return null;
  },
};
