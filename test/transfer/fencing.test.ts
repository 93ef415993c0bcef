// A worker that lost its lease must not write (docs/transfers.md, Leases and fencing). Worker A claims a
// customer update and is frozen in the middle of its Klaviyo write (a retry wait after a 500); its lease
// runs out (the service clock is moved, nothing sleeps); the transfer is taken back, a newer version of
// the customer is queued, and worker B sends it. When A wakes, its retry must not reach Klaviyo: the
// sandbox keeps the newer name, and A's stale outcome is logged and counted as discarded.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { compileKeyedCollections, type FlowSubscription } from '../../src/flows/shared/flow-deps.ts';
import { registerKlaviyoFlows } from '../../src/flows/index.ts';
import { HubStore } from '../../src/hub/store.ts';
import { createKlaviyoClient } from '../../src/klaviyo/index.ts';
import { DEFAULT_COLLECTIONS } from '../../src/mapping/default-collections.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { checkClaim } from '../../src/transfer/claim-guard.ts';
import { TransferEngine } from '../../src/transfer/engine.ts';
import { PollScheduler } from '../../src/transfer/scheduler.ts';
import type { PoolLogger } from '../../src/transfer/worker.ts';
import { backends, customers, fakeClock, setup, staticFlowSettings, testFlow } from './helpers.ts';

const SUB = 'sub-fence';
const LEASE_MS = 60_000;

for (const backend of backends()) {
  describe(`lease loss (${backend.name})`, () => {
    test('renewal and completion say when the claim is lost; the new holder keeps its transfers', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        env.engine.registry.register(testFlow('customer-to-profile'));
        await env.hub.upsertMany('customer', customers(3));
        const claims = { leaseMs: LEASE_MS, flows: ['customer-to-profile'], maxBatch: () => 10 };
        const first = await env.engine.queue.claim('A', claims);
        assert.equal(await env.engine.queue.renewLease(first!, LEASE_MS), true, 'held');
        env.clock.advance(LEASE_MS + 1);
        assert.equal(await env.engine.queue.recover({}), 3);
        assert.equal(await env.engine.queue.renewLease(first!, LEASE_MS), false, 'taken back');
        const second = await env.engine.queue.claim('B', claims);
        const taken = second!.transfers.length;
        assert.ok(taken >= 1);
        // A's late answers, with and without outcomes, touch none of B's rows.
        const late = await env.engine.queue.complete(
          first!,
          new Map([[first!.transfers[0]!.id, { status: 'skipped', reason: 'late' }]]),
          new Map(),
        );
        assert.deepEqual(late, { recorded: 0, discarded: first!.transfers.map((t) => t.id) });
        assert.equal(await env.engine.log.count({ state: 'running' }), taken, 'still running under B');
        assert.equal(await env.engine.queue.renewLease(second!, LEASE_MS), true);
        const done = await env.engine.queue.complete(
          second!,
          new Map(second!.transfers.map((t) => [t.id, { status: 'succeeded' }])),
          new Map(),
        );
        assert.deepEqual(done, { recorded: taken, discarded: [] });
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), taken);
      } finally {
        await env.close();
      }
    });

    test('a frozen worker whose lease ran out sends nothing more; the newer version wins in Klaviyo', async () => {
      const { store, close } = await backend.open();
      const sandbox = await startSandbox({ rateLimits: false });
      const clock = fakeClock();
      const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
      const log: PoolLogger = {
        info: (obj, msg) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
        warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
        error: (obj, msg) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
      };
      // The client's retry wait is where worker A freezes: the first wait holds until the test lets go.
      let frozen: (() => void) | undefined;
      let froze!: () => void;
      const freezing = new Promise<void>((resolve) => {
        froze = resolve;
      });
      let waits = 0;
      const client = createKlaviyoClient({
        baseUrl: sandbox.url,
        auth: { kind: 'api_key', apiKey: sandbox.apiKey },
        budgetKey: `fence-${Math.random()}`,
        budgets: false,
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
        beforeSend: checkClaim,
        sleep: (ms) => {
          if (++waits > 1) return new Promise((r) => setTimeout(r, ms));
          froze();
          return new Promise<void>((resolve) => {
            frozen = resolve;
          });
        },
      });
      const metrics = new Registry();
      const hub = new HubStore(store);
      const engine = new TransferEngine({
        store,
        hub,
        now: clock.now,
        leaseMs: LEASE_MS,
        log,
        metrics,
        flowSettings: {
          subscriptionsWithScope: async (_db, scope) =>
            scope === 'customer/created' || scope === 'customer/updated' ? [SUB] : [],
        },
      });
      const subscription: FlowSubscription = {
        id: SUB,
        created_at: new Date(Date.now() - 60_000).toISOString(),
        generate_events: true,
        default_phone_country: 'US',
        create_missing_lists: false,
      };
      const collections = compileKeyedCollections(DEFAULT_COLLECTIONS, {
        id: SUB,
        default_phone_country: 'US',
      });
      const scheduler = new PollScheduler({
        engine,
        subscriptions: { exists: async () => true, webhookKey: async () => 'k', polling: async () => [] },
      });
      registerKlaviyoFlows(
        engine,
        {
          hub,
          links: engine.links,
          klaviyoFor: async () => client,
          collectionsFor: async () => collections,
          subscriptionFor: async () => subscription,
          jobPollMs: { first: 2, max: 10 },
        },
        { scheduler, db: store.db },
      );
      const profile = () => sandbox.state.account().profiles.find('email', 'fence@example.com');
      try {
        await hub.upsert('customer', { id: 'c1', email_address: 'fence@example.com', first_name: 'First' });
        await engine.pool.drain();
        assert.equal(profile()?.first_name, 'First', 'created and linked');

        // A claims the update to "Old"; its PATCH meets a 500 and A freezes in the retry wait.
        await hub.upsert('customer', { id: 'c1', email_address: 'fence@example.com', first_name: 'Old' });
        sandbox.state.faults.push({
          operation: 'update_profile',
          errorRate: 1,
          status: 500,
          latencyMs: 0,
          storm429Until: 0,
        });
        const workerA = engine.pool.runOnce('worker-A');
        await freezing;

        // Meanwhile: the customer changes again, A's lease runs out, the transfer is taken back, and
        // worker B sends the newer version.
        await hub.upsert('customer', { id: 'c1', email_address: 'fence@example.com', first_name: 'New' });
        sandbox.state.faults = [];
        clock.advance(LEASE_MS + 1);
        await engine.queue.recover({});
        assert.equal(await engine.log.count({ state: 'running' }), 0, 'the expired claim is taken back');
        assert.equal(await engine.pool.runOnce('worker-B'), true);
        assert.equal(profile()?.first_name, 'New');

        // A wakes: its retry must not reach Klaviyo, and its outcome is discarded where it can be seen.
        const patchesBefore = sandbox.state.requestCounts.get('update_profile')?.count ?? 0;
        frozen!();
        assert.equal(await workerA, true);
        assert.equal(profile()?.first_name, 'New', 'Klaviyo keeps the newer version');
        assert.equal(
          sandbox.state.requestCounts.get('update_profile')?.count ?? 0,
          patchesBefore,
          'no request from the worker that lost its claim',
        );
        assert.ok(lines.some((l) => l.level === 'warn' && l.msg?.startsWith('transfer claim lost')));
        const discarded = lines.find((l) => l.msg?.startsWith('stale transfer outcomes discarded'));
        assert.equal(discarded?.obj.discarded, 1);
        const metric = await metrics.getSingleMetric('klaviyo_sync_transfer_outcomes_discarded_total')?.get();
        assert.equal(metric?.values.find((v) => v.labels.flow === 'customer-to-profile')?.value, 1);

        // The log holds B's success; A's transfer was superseded by the newer one, never failed by A.
        const all = await engine.log.list({ subscription_id: SUB, record_id: 'c1' }, { limit: 10 });
        const states = all.data.map((t) => t.state).sort();
        assert.deepEqual(states, ['skipped', 'succeeded', 'succeeded']);
      } finally {
        frozen?.();
        await engine.stop();
        await sandbox.close();
        await close();
      }
    });
  });
}
