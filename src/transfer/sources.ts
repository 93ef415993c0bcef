// What the engine needs to know from other areas — which subscriptions have a scope's outbound flow on,
// a subscription's webhook key, its polling interval, and which flow a collection belongs
// to — behind small interfaces, with implementations over the subscriptions and mapping stores.
import type { Kysely } from 'kysely';
import type { HubScope } from '../domain/hub.ts';
import { FLOW_SCOPE_DEFAULTS } from '../domain/subscription.ts';
import { getCollection } from '../mapping/store.ts';
import type { SecretBox } from '../secrets/index.ts';
import type { Store } from '../store/db.ts';
import { getSubscriptionRow } from '../store/repositories/subscriptions.ts';
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
    const byDefault = FLOW_SCOPE_DEFAULTS[scope] ? 1 : 0;
    return rows.filter((r) => (r.enabled ?? byDefault) === 1).map((r) => r.id);
  },
};

export function storeSubscriptions(store: Store, secrets: SecretBox): SubscriptionSource {
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
      const row = await getSubscriptionRow(store.db, id);
      return row ? secrets.decrypt(row.webhook_key_enc) : null;
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

/** A subscription's stored collection (parent collections of the flows the engine runs). */
export function storeCollections(store: Store): CollectionSource {
  return {
    async target(subscriptionId, collectionId) {
      const c = await getCollection(store.db, collectionId);
      if (!c || c.subscription_id !== subscriptionId || c.parent_id) return null;
      const flow = flowOfCollection(c.type, c.direction as Direction);
      return flow ? { collection_id: c.id, direction: c.direction as Direction, ...flow } : null;
    },
  };
}
