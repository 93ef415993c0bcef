// What the flows need from the rest of the service, in one place: the hub, the links, a Klaviyo client per
// subscription, the subscription's settings and its compiled collections. Handlers are built from these
// so tests and the bench can hand in the real parts (or a compiled default set) without the HTTP server.
import type { Kysely } from 'kysely';
import type { CollectionType, Direction, SubscriptionMappingContext } from '../../domain/collections.ts';
import type { HubStore } from '../../hub/store.ts';
import type { KlaviyoClient } from '../../klaviyo/index.ts';
import { type CollectionTree, type CompiledCollection, compileCollection } from '../../mapping/engine.ts';
import type { Database } from '../../store/schema.ts';
import type { LinkRepository } from '../../transfer/links.ts';
import type { HubThrottle } from './hub-throttle.ts';
import { createListDirectory, type ListDirectory } from './list-directory.ts';

export interface FlowSubscription {
  id: string;
  created_at: string;
  generate_events: boolean;
  default_phone_country: string | null;
  create_missing_lists: boolean;
  /** Writes into the hub per window (SPEC S2); absent means unthrottled. */
  hub_throttle?: { limit: number; seconds: number };
}

export interface FlowDeps {
  hub: HubStore;
  links: LinkRepository;
  klaviyoFor(subscriptionId: string): Promise<KlaviyoClient>;
  /** The subscription's enabled collections, compiled (children inside their parents). */
  collectionsFor(db: Kysely<Database>, subscriptionId: string): Promise<readonly CompiledCollection[]>;
  subscriptionFor?(db: Kysely<Database>, subscriptionId: string): Promise<FlowSubscription>;
  /** Waiting records from which a lane switches from single calls to bulk calls (default 20). */
  bulkThreshold?: number;
  /** The hub write throttle (one per service; tests inject a clock). */
  hubThrottle?: HubThrottle;
  /** Waits between bulk job status reads (tests and the bench shorten them). */
  jobPollMs?: { first: number; max: number };
  now?: () => Date;
}

export const DEFAULT_BULK_THRESHOLD = 20;

/** The subscription row's settings the flows use. */
export async function loadFlowSubscription(
  db: Kysely<Database>,
  subscriptionId: string,
): Promise<FlowSubscription> {
  const row = await db
    .selectFrom('subscriptions')
    .select([
      'id',
      'created_at',
      'generate_events',
      'default_phone_country',
      'create_missing_lists',
      'hub_throttle_limit',
      'hub_throttle_seconds',
    ])
    .where('id', '=', subscriptionId)
    .executeTakeFirst();
  if (!row) throw new Error(`subscription ${subscriptionId} does not exist`);
  return {
    id: row.id,
    created_at: row.created_at,
    generate_events: Boolean(row.generate_events),
    default_phone_country: row.default_phone_country,
    create_missing_lists: Boolean(row.create_missing_lists),
    hub_throttle: { limit: row.hub_throttle_limit, seconds: row.hub_throttle_seconds },
  };
}

export function mappingContextOf(subscription: FlowSubscription): SubscriptionMappingContext {
  return { id: subscription.id, default_phone_country: subscription.default_phone_country };
}

/**
 * The collection for a record: `add` for an unlinked one, `update` for a linked one; a collection with
 * sync type add_and_update serves both. Lowest sort order first is the caller's order.
 */
export function pickCollection(
  collections: readonly CompiledCollection[],
  type: CollectionType,
  direction: Direction,
  mode: 'add' | 'update',
): CompiledCollection | undefined {
  return collections.find(
    (c) =>
      c.type === type &&
      c.direction === direction &&
      (c.syncType === mode || c.syncType === 'add_and_update'),
  );
}

/** Compiles specs that name their parent by key (the default set) into trees, children inside parents. */
export function compileKeyedCollections(
  specs: readonly (CollectionTree & { key: string; parent_key?: string; sort_order?: number })[],
  subscription?: SubscriptionMappingContext,
): CompiledCollection[] {
  const sorted = [...specs].sort((a, b) => (a.sort_order ?? 0) - (b.sort_order ?? 0));
  const trees = new Map<string, CollectionTree>();
  for (const spec of sorted) trees.set(spec.key, { ...spec, id: spec.id ?? spec.key, children: [] });
  const roots: CollectionTree[] = [];
  for (const spec of sorted) {
    const tree = trees.get(spec.key)!;
    if (spec.parent_key) trees.get(spec.parent_key)?.children?.push(tree);
    else roots.push(tree);
  }
  return roots
    .filter((tree) => tree.enabled !== false)
    .map((tree) => compileCollection(tree, { subscription }));
}

// Keyed by client: a subscription whose settings change gets a new client, and with it a fresh directory.
const listDirectories = new WeakMap<KlaviyoClient, ListDirectory>();

/** One list directory per subscription's client, so names are looked up once across batches. */
export function listDirectoryFor(client: KlaviyoClient): ListDirectory {
  let directory = listDirectories.get(client);
  if (!directory) {
    directory = createListDirectory({
      source: {
        async findByName(name) {
          const list = await client.lists.findByName(name);
          return list ? { id: list.id, name } : undefined;
        },
        async create(name) {
          const list = await client.lists.create(name);
          return { id: list.id, name };
        },
      },
    });
    listDirectories.set(client, directory);
  }
  return directory;
}
