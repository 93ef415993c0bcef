import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HubStore } from '../../src/hub/store.ts';
import { TransferEngine } from '../../src/transfer/engine.ts';
import { PollScheduler } from '../../src/transfer/scheduler.ts';
import type { Outcome, Transfer } from '../../src/transfer/types.ts';
import { backends, customers, setup, staticFlowSettings, testFlow } from './helpers.ts';
import { addSubscriptionRows } from '../helpers/subscriptions.ts';
import { waitFor } from '../helpers/wait.ts';

for (const backend of backends()) {
  describe(`workers and scheduler (${backend.name})`, () => {
    test('stopping waits for the running batch, then returns what has no outcome to the queue', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }), { idleMs: 5 });
      try {
        let entered: () => void = () => {};
        const inHandler = new Promise<void>((r) => {
          entered = r;
        });
        env.engine.registry.register({
          flow: 'customer-to-profile',
          direction: 'from_hub',
          maxBatch: 10,
          async handle(batch, ctx) {
            entered();
            // Finishes the first half, then waits for the shutdown signal before the rest.
            const out = new Map<string, Outcome>();
            for (const t of batch.slice(0, 5)) out.set(t.id, { status: 'succeeded' });
            await new Promise((r) => ctx.signal.addEventListener('abort', r, { once: true }));
            return out;
          },
        });
        await env.hub.upsertMany('customer', customers(10));
        await env.engine.start();
        await inHandler;
        await env.engine.stop(10);
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 5);
        assert.equal(await env.engine.log.count({ state: 'queued' }), 5);
        assert.equal(await env.engine.log.count({ state: 'running' }), 0);
      } finally {
        await env.close();
      }
    });

    test('a retry that falls due while a newer change of the record waits is superseded by it', async () => {
      let fail = true;
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created', 'customer/updated'] }));
      try {
        const flow = testFlow('customer-to-profile', () =>
          fail
            ? { status: 'failed', code: 'KLAVIYO_UNAVAILABLE', message: '503', retryable: true }
            : { status: 'succeeded' },
        );
        env.engine.registry.register(flow);
        await env.hub.upsert('customer', { id: 'z', first_name: 'v1' });
        await env.engine.pool.drain();
        const [first] = (await env.engine.log.list({ state: 'failed' })).data;
        fail = false;
        const latest = await env.hub.upsert('customer', { id: 'z', first_name: 'v2' });
        env.clock.advance(20 * 60_000);
        await env.engine.pool.sweep();
        assert.equal((await env.engine.log.get(first.id))?.state, 'skipped');
        await env.engine.pool.drain();
        const ran = flow.batches.at(-1)!;
        assert.equal(ran.length, 1);
        assert.equal(ran[0].record_version, latest.version);
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 1);
      } finally {
        await env.close();
      }
    });

    test('an auth pause lifts itself once the subscription is checked and connected again', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        const at = (ms: number) => new Date(env.clock.now() + ms).toISOString();
        for (const id of ['A', 'B']) {
          await addSubscriptionRows(env.store.db, {
            id,
            name: id,
            auth_method: 'oauth',
            status: 'authorization_revoked',
            checked_at: at(-1000),
            created_at: at(-5000),
            updated_at: at(-5000),
          });
        }
        await env.engine.log.pause('A', 'AUTH_REVOKED', 'Klaviyo access was removed');
        await env.engine.log.pause('B');
        await env.store.db.updateTable('subscriptions').set({ status: 'connected' }).execute();
        await env.engine.pool.sweep();
        assert.ok(await env.engine.log.pauseOf('A'), 'a check from before the pause does not count');
        await env.store.db
          .updateTable('subscriptions')
          .set({ checked_at: at(1000) })
          .execute();
        await env.engine.pool.sweep();
        assert.equal(await env.engine.log.pauseOf('A'), null);
        assert.ok(await env.engine.log.pauseOf('B'), 'an operator pause stays until resumed by hand');
      } finally {
        await env.close();
      }
    });

    test('the scheduler polls each subscription at its interval and moves the watermark with the queued page', async () => {
      const env = await setup(backend, staticFlowSettings({}));
      try {
        const subs = [
          { id: 'P1', polling_interval_minutes: 5, created_at: '2026-01-01T00:00:00.000Z' },
          { id: 'P2', polling_interval_minutes: 1, created_at: '2026-01-01T00:00:00.000Z' },
        ];
        const scheduler = new PollScheduler({
          engine: env.engine,
          subscriptions: {
            exists: async () => true,
            webhookKey: async () => null,
            polling: async () => subs,
          },
          now: env.clock.now,
        });
        const seen: { sub: string; watermark: string | null }[] = [];
        let page = 0;
        scheduler.register({
          name: 'profiles',
          async poll(ctx) {
            seen.push({ sub: ctx.subscriptionId, watermark: ctx.watermark });
            page++;
            await ctx.commitPage(
              [
                {
                  subscription_id: ctx.subscriptionId,
                  flow: 'profile-to-customer',
                  direction: 'to_hub',
                  trigger: 'poll',
                  record_kind: 'profile',
                  record_id: `prof-${page}`,
                },
              ],
              new Date(ctx.startedAt).toISOString(),
            );
          },
        });
        assert.deepEqual(await scheduler.tick(), ['P1:profiles', 'P2:profiles']);
        assert.deepEqual(
          seen.map((s) => s.watermark),
          [null, null],
        );
        env.clock.advance(60_000);
        assert.deepEqual(await scheduler.tick(), ['P2:profiles'], 'only P2 is due after a minute');
        assert.equal(seen.at(-1)?.watermark, '2026-01-01T00:00:00.000Z');
        env.clock.advance(4 * 60_000);
        assert.deepEqual(await scheduler.tick(), ['P1:profiles', 'P2:profiles']);
        assert.equal(await env.engine.log.count({ flow: 'profile-to-customer' }), 5);
        assert.equal(
          await env.engine.watermarks.get('P2', 'poll:profiles'),
          new Date(env.clock.now()).toISOString(),
        );

        await env.engine.log.pause('P1', 'AUTH_REVOKED', 'revoked');
        env.clock.advance(10 * 60_000);
        assert.deepEqual(await scheduler.tick(), ['P2:profiles'], 'a paused subscription is not polled');
      } finally {
        await env.close();
      }
    });

    if (backend.name === 'postgres') {
      test('two engines sharing PostgreSQL never run a lane twice at once and deliver each transfer once', async () => {
        const env = await setup(
          backend,
          staticFlowSettings({ A: ['customer/created'], B: ['customer/created'] }),
          {
            idleMs: 5,
            singleProcess: false,
            now: Date.now,
          },
        );
        const second = new TransferEngine({
          store: env.store,
          hub: new HubStore(env.store),
          flowSettings: staticFlowSettings({}),
          idleMs: 5,
          singleProcess: false,
          concurrency: 3,
        });
        try {
          const delivered: string[] = [];
          const running = new Set<string>();
          let overlap = false;
          const handler = (name: string) => ({
            flow: 'customer-to-profile',
            direction: 'from_hub' as const,
            maxBatch: 25,
            async handle(batch: Transfer[]) {
              const lane = batch[0].subscription_id;
              if (running.has(lane)) overlap = true;
              running.add(lane);
              await new Promise((r) => setTimeout(r, 1));
              running.delete(lane);
              for (const t of batch) delivered.push(`${t.id}@${name}`);
              return new Map<string, Outcome>(batch.map((t) => [t.id, { status: 'succeeded' }]));
            },
          });
          env.engine.registry.register(handler('one'));
          second.registry.register(handler('two'));
          await env.hub.upsertMany('customer', customers(500));
          await env.engine.start();
          await second.start();
          await waitFor(
            'all transfers',
            async () => (await env.engine.log.count({ state: 'succeeded' })) === 1000,
          );
          const ids = delivered.map((d) => d.split('@')[0]);
          assert.equal(ids.length, 1000);
          assert.equal(new Set(ids).size, 1000);
          assert.equal(overlap, false);
          const byTwo = delivered.filter((d) => d.endsWith('@two')).length;
          process.stdout.write(
            `# shared PostgreSQL queue: engine one ran ${1000 - byTwo}, engine two ${byTwo}\n`,
          );
        } finally {
          await second.stop(100);
          await env.close();
        }
      });
    }
  });
}
