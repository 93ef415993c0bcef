// A whole flow stack for tests, without the HTTP server: a fresh SQLite store, the hub, the transfer engine
// with the real Klaviyo flows registered, the sandbox, and a real client pointed at it. Collections are the
// defaults (compiled as a new subscription gets them) plus whatever a test adds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CollectionInput, CollisionHandling } from '../../src/domain/collections.ts';
import type { HubScope } from '../../src/domain/hub.ts';
import { compileKeyedCollections, type FlowSubscription } from '../../src/flows/shared/flow-deps.ts';
import type { HubThrottle } from '../../src/flows/shared/hub-throttle.ts';
import { registerKlaviyoFlows } from '../../src/flows/index.ts';
import { HubStore } from '../../src/hub/store.ts';
import { createKlaviyoClient, type KlaviyoClient } from '../../src/klaviyo/index.ts';
import { DEFAULT_COLLECTIONS, type DefaultCollection } from '../../src/mapping/default-collections.ts';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.ts';
import { openStore } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { TransferEngine } from '../../src/transfer/engine.ts';
import { PollScheduler } from '../../src/transfer/scheduler.ts';

export const SUBSCRIPTION = 'sub-1';

export interface FlowEnvOptions {
  sandbox?: SandboxOptions;
  subscription?: Partial<FlowSubscription>;
  /** Replaces or adds collections by key; `mappings` of a key listed here are appended to the default's. */
  extraMappings?: Record<string, CollectionInput['mappings']>;
  /** Collision handling of default collections, by key (e.g. `customer_add`). */
  collisionHandling?: Record<string, CollisionHandling>;
  bulkThreshold?: number;
  scopes?: HubScope[];
  /** Collections beyond the defaults (e.g. a product collection). */
  extraCollections?: DefaultCollection[];
  /** A hub throttle with an injected clock. */
  hubThrottle?: HubThrottle;
  /** The key the client sends (default: the sandbox's own). */
  apiKey?: string;
}

export async function startFlowEnv(options: FlowEnvOptions = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ks-flows-'));
  const store = openStore({ dataDir: dir, sqliteFile: 'flows.db' });
  await migrate(store);
  const sandbox: Sandbox = await startSandbox({ rateLimits: false, ...options.sandbox });
  const client: KlaviyoClient = createKlaviyoClient({
    baseUrl: sandbox.url,
    auth: { kind: 'api_key', apiKey: options.apiKey ?? sandbox.apiKey },
    budgetKey: `test-${sandbox.accountId}-${Math.random()}`,
    retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
  });
  const subscription: FlowSubscription = {
    id: SUBSCRIPTION,
    created_at: new Date(Date.now() - 60_000).toISOString(),
    generate_events: true,
    default_phone_country: 'US',
    create_missing_lists: false,
    ...options.subscription,
  };
  const specs: DefaultCollection[] = [
    ...DEFAULT_COLLECTIONS.map((spec) => ({
      ...spec,
      collision_handling: options.collisionHandling?.[spec.key] ?? spec.collision_handling,
      mappings: [...spec.mappings, ...(options.extraMappings?.[spec.key] ?? [])],
    })),
    ...(options.extraCollections ?? []),
  ];
  const collections = compileKeyedCollections(specs, {
    id: subscription.id,
    default_phone_country: subscription.default_phone_country,
  });
  const hub = new HubStore(store);
  const scopes = options.scopes ?? [
    'customer/created',
    'customer/updated',
    'transaction/created',
    'transaction/updated',
  ];
  const engine = new TransferEngine({
    store,
    hub,
    flowSettings: {
      subscriptionsWithScope: async (_db, scope) => (scopes.includes(scope) ? [SUBSCRIPTION] : []),
    },
    idleMs: 10,
  });
  // The scheduler's clock runs ahead of the real one by a step per poll, so every poll is due.
  let clockOffset = 0;
  const scheduler = new PollScheduler({
    engine,
    now: () => Date.now() + clockOffset,
    subscriptions: {
      exists: async (id) => id === SUBSCRIPTION,
      webhookKey: async () => 'whk_test_key_0123456789abcdef0123',
      polling: async () => [
        { id: SUBSCRIPTION, polling_interval_minutes: 1, created_at: subscription.created_at },
      ],
    },
  });
  registerKlaviyoFlows(
    engine,
    {
      hub,
      links: engine.links,
      klaviyoFor: async () => client,
      collectionsFor: async () => collections,
      subscriptionFor: async () => subscription,
      bulkThreshold: options.bulkThreshold,
      jobPollMs: { first: 2, max: 10 },
      hubThrottle: options.hubThrottle,
    },
    { scheduler, db: store.db },
  );
  // The pool is not started: tests run the queue with drain(), step by step.
  const account = sandbox.state.account();
  return {
    store,
    hub,
    engine,
    sandbox,
    client,
    subscription,
    account,
    scheduler,
    /** Runs one profile poll now (as if the polling interval had passed). */
    async poll() {
      clockOffset += 61_000;
      return scheduler.tick();
    },
    /** Waits until the queue has nothing runnable left. */
    async drain() {
      await engine.pool.drain();
      await sandbox.state.idle();
    },
    async transfers(recordId?: string) {
      return (await engine.log.list({ subscription_id: SUBSCRIPTION, record_id: recordId }, { limit: 500 }))
        .data;
    },
    steps(transferId: string) {
      return engine.log.steps(transferId);
    },
    profileByEmail(email: string) {
      return account.profiles.find('email', email.toLowerCase());
    },
    eventsOf(metricName: string) {
      const metric = account.metricsByName.get(metricName);
      return metric ? account.events.filter((event) => event.metricId === metric.id) : [];
    },
    async close() {
      await sandbox.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type FlowEnv = Awaited<ReturnType<typeof startFlowEnv>>;
