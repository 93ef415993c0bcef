import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retryDelayMs } from '../../src/transfer/retry.ts';
import { backends, customers, setup, staticFlowSettings, testFlow } from './helpers.ts';

const MIN = 60_000;

for (const backend of backends()) {
  describe(`transfer engine (${backend.name})`, () => {
    test('a hub write that fails queues nothing and stores nothing', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created', 'customer/updated'] }));
      try {
        env.hub.onChange(async () => {
          throw new Error('disk full');
        });
        await assert.rejects(env.hub.upsertMany('customer', customers(10)), /disk full/);
        assert.equal(await env.engine.log.count({}), 0);
        assert.equal((await env.hub.list('customer')).data.length, 0);
      } finally {
        await env.close();
      }
    });

    test('a batch of 1,000 customers queues one transfer each for subscriptions with the flow on only', async () => {
      const flows = staticFlowSettings({
        A: ['customer/created'],
        B: [],
        C: ['customer/created', 'customer/updated'],
      });
      const env = await setup(backend, flows);
      try {
        await env.hub.upsertMany('customer', customers(1000));
        assert.equal(await env.engine.log.count({ subscription_id: 'A' }), 1000);
        assert.equal(await env.engine.log.count({ subscription_id: 'B' }), 0);
        assert.equal(await env.engine.log.count({ subscription_id: 'C' }), 1000);
        const page = await env.engine.log.list({ subscription_id: 'A', record_id: 'c7' });
        assert.equal(page.data.length, 1);
        assert.equal(page.data[0].flow, 'customer-to-profile');
        assert.equal(page.data[0].state, 'queued');
        // Updates go only where customer/updated is on.
        await env.hub.upsertMany('customer', customers(5));
        assert.equal(await env.engine.log.count({ subscription_id: 'A' }), 1000);
      } finally {
        await env.close();
      }
    });

    test('a write made by a subscription does not echo back to it', async () => {
      const env = await setup(
        backend,
        staticFlowSettings({ A: ['customer/created'], B: ['customer/created'] }),
      );
      try {
        await env.hub.upsertMany('customer', customers(3), { originSubscriptionId: 'A' });
        assert.equal(await env.engine.log.count({ subscription_id: 'A' }), 0);
        assert.equal(await env.engine.log.count({ subscription_id: 'B' }), 3);
      } finally {
        await env.close();
      }
    });

    test('queued updates of one record collapse into one transfer of its latest version', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created', 'customer/updated'] }));
      try {
        const flow = testFlow('customer-to-profile');
        env.engine.registry.register(flow);
        await env.hub.upsert('customer', { id: 'x', first_name: 'v1' });
        await env.hub.upsert('customer', { id: 'x', first_name: 'v2' });
        const last = await env.hub.upsert('customer', { id: 'x', first_name: 'v3' });
        await env.hub.upsertMany('customer', [{ id: 'y' }, { id: 'y', first_name: 'twice in one batch' }]);
        const queued = await env.engine.log.list({ subscription_id: 'A', state: 'queued' });
        assert.equal(queued.data.length, 2);
        const x = queued.data.find((t) => t.record_id === 'x')!;
        assert.equal(x.record_version, last.version);
        assert.equal(x.trigger, 'customer/created');
        await env.engine.pool.drain();
        assert.deepEqual(
          flow.batches
            .flat()
            .map((t) => t.record_id)
            .sort(),
          ['x', 'y'],
        );
        // Once it has run, a new change is a new transfer.
        await env.hub.upsert('customer', { id: 'x', first_name: 'v4' });
        assert.equal(await env.engine.log.count({ record_id: 'x' }), 2);
      } finally {
        await env.close();
      }
    });

    test('batches are of one lane, FIFO, debug transfers first, and see the backlog', async () => {
      const env = await setup(
        backend,
        staticFlowSettings({ A: ['customer/created'], B: ['customer/created'] }),
      );
      try {
        const flow = testFlow('customer-to-profile', () => ({ status: 'succeeded' }), 10);
        env.engine.registry.register(flow);
        await env.hub.upsertMany('customer', customers(25));
        await env.store.db.transaction().execute((trx) =>
          env.engine.enqueue(trx, [
            {
              subscription_id: 'B',
              flow: 'customer-to-profile',
              direction: 'from_hub',
              trigger: 'manual',
              record_kind: 'customer',
              record_id: 'c3',
              debug: true,
            },
          ]),
        );
        await env.engine.pool.drain();
        const first = flow.batches[0];
        assert.equal(first[0].subscription_id, 'B');
        assert.equal(first[0].debug, true);
        for (const batch of flow.batches) {
          assert.equal(new Set(batch.map((t) => t.subscription_id)).size, 1);
          const ids = batch.filter((t) => !t.debug).map((t) => Number(t.id));
          assert.deepEqual(
            ids,
            [...ids].sort((a, b) => a - b),
          );
        }
        const aOrder = flow.batches
          .flat()
          .filter((t) => t.subscription_id === 'A')
          .map((t) => t.record_id);
        assert.deepEqual(
          aOrder,
          customers(25).map((c) => c.id),
        );
        assert.ok(flow.backlogs.includes(25) || flow.backlogs.includes(26), `backlogs ${flow.backlogs}`);
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 51);
      } finally {
        await env.close();
      }
    });

    test('failures retry on the 10·n·(n+1) minute schedule and go dead after the last attempt', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }), { maxAttempts: 3 });
      try {
        const flow = testFlow('customer-to-profile', () => ({
          status: 'failed',
          code: 'KLAVIYO_UNAVAILABLE',
          message: 'Klaviyo answered 503',
          retryable: true,
        }));
        env.engine.registry.register(flow);
        await env.hub.upsert('customer', { id: 'r1' });
        const [t] = (await env.engine.log.list({})).data;
        await env.engine.pool.drain();
        let now = await env.engine.log.get(t.id);
        assert.equal(now?.state, 'failed');
        assert.equal(now?.attempts, 1);
        assert.equal(now?.next_attempt_at, new Date(env.clock.now() + 20 * MIN).toISOString());
        assert.equal(retryDelayMs(2), 60 * MIN);

        env.clock.advance(20 * MIN - 1);
        await env.engine.pool.sweep();
        assert.equal(await env.engine.pool.drain(), 0, 'not before its time');
        env.clock.advance(1);
        await env.engine.pool.sweep();
        assert.equal(await env.engine.pool.drain(), 1);
        now = await env.engine.log.get(t.id);
        assert.equal(now?.attempts, 2);
        assert.equal(now?.next_attempt_at, new Date(env.clock.now() + 60 * MIN).toISOString());

        env.clock.advance(60 * MIN);
        await env.engine.pool.sweep();
        await env.engine.pool.drain();
        now = await env.engine.log.get(t.id);
        assert.equal(now?.state, 'dead');
        assert.equal(now?.attempts, 3);
        assert.equal(now?.next_attempt_at, null);
        assert.equal(now?.error_code, 'KLAVIYO_UNAVAILABLE');
        const steps = await env.engine.log.steps(t.id);
        assert.match(steps.at(-1)!.message, /No attempts left \(3 of 3\)/);

        env.clock.advance(1000 * MIN);
        await env.engine.pool.sweep();
        assert.equal(await env.engine.pool.drain(), 0, 'dead stays dead');
      } finally {
        await env.close();
      }
    });

    test('a permanent failure is not retried; retry one and replay many send them again', async () => {
      let healthy = false;
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }), { maxAttempts: 1 });
      try {
        const flow = testFlow('customer-to-profile', (t) =>
          healthy
            ? { status: 'succeeded' }
            : t.record_id === 'c0'
              ? {
                  status: 'failed',
                  code: 'MAPPING_REQUIRED_FIELD_MISSING',
                  message: 'email_address is required',
                  retryable: false,
                }
              : { status: 'failed', code: 'KLAVIYO_TIMEOUT', message: 'timed out', retryable: true },
        );
        env.engine.registry.register(flow);
        await env.hub.upsertMany('customer', customers(4));
        await env.engine.pool.drain();
        assert.equal(await env.engine.log.count({ state: 'failed' }), 1);
        assert.equal(await env.engine.log.count({ state: 'dead' }), 3);
        const [succeededOne] = (await env.engine.log.list({ record_id: 'c0' })).data;
        await assert.rejects(env.engine.log.retry('999999'), /No transfer/);

        healthy = true;
        const retried = await env.engine.log.retry(succeededOne.id);
        assert.equal(retried.state, 'queued');
        assert.equal(retried.attempts, 0);
        await env.engine.pool.drain();
        assert.equal((await env.engine.log.get(succeededOne.id))?.state, 'succeeded');
        await assert.rejects(
          env.engine.log.retry(succeededOne.id),
          (e: Error & { code?: string }) => e.code === 'TRANSFER_NOT_RETRYABLE',
        );

        const r = await env.engine.log.replay({ subscription_id: 'A', error_code: 'KLAVIYO_TIMEOUT' });
        assert.deepEqual(r, { matched: 3, queued: 3, superseded: 0, remaining: 0 });
        await env.engine.pool.drain();
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 4);
        const steps = await env.engine.log.steps(succeededOne.id);
        assert.ok(steps.some((s) => s.message === 'Retried by hand.'));
      } finally {
        await env.close();
      }
    });

    test('an auth failure pauses the subscription; nothing fails or is lost; resume runs the waiting transfers', async () => {
      let revoked = true;
      const env = await setup(
        backend,
        staticFlowSettings({ A: ['customer/created'], B: ['customer/created'] }),
      );
      try {
        const flow = testFlow('customer-to-profile', (t) =>
          revoked && t.subscription_id === 'A'
            ? { status: 'paused', code: 'AUTH_REVOKED', message: 'Klaviyo access was removed' }
            : { status: 'succeeded' },
        );
        env.engine.registry.register(flow);
        await env.hub.upsertMany('customer', customers(5));
        await env.engine.pool.drain();
        assert.equal((await env.engine.log.pauseOf('A'))?.code, 'AUTH_REVOKED');
        assert.equal(await env.engine.log.count({ subscription_id: 'A', state: 'queued' }), 5);
        assert.equal(await env.engine.log.count({ subscription_id: 'B', state: 'succeeded' }), 5);
        const callsWhilePaused = flow.batches.length;
        await env.hub.upsertMany('customer', customers(2, 'late'));
        await env.engine.pool.drain();
        assert.equal(
          flow.batches.filter((b) => b[0].subscription_id === 'A').length,
          1,
          'A is not taken while paused',
        );
        assert.ok(flow.batches.length > callsWhilePaused);
        const [one] = (await env.engine.log.list({ subscription_id: 'A', record_id: 'c1' })).data;
        assert.equal(one.attempts, 0);

        revoked = false;
        assert.equal(await env.engine.log.resume('A'), true);
        await env.engine.pool.drain();
        assert.equal(await env.engine.log.count({ subscription_id: 'A', state: 'succeeded' }), 7);
        assert.equal(await env.engine.log.count({ state: 'failed' }), 0);
      } finally {
        await env.close();
      }
    });

    test('claimed but unfinished transfers return to the queue after a crash or an expired lease', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        env.engine.registry.register(testFlow('customer-to-profile'));
        await env.hub.upsertMany('customer', customers(3));
        const claims = { leaseMs: 60_000, flows: ['customer-to-profile'], maxBatch: () => 10 };
        const batch = await env.engine.queue.claim('dead-worker', claims);
        assert.equal(batch?.transfers.length, 3);
        assert.equal(await env.engine.log.count({ state: 'running' }), 3);
        assert.equal(await env.engine.queue.claim('other', claims), null, 'the lane is busy');
        assert.equal(await env.engine.queue.recover({}), 0, 'lease still valid');
        env.clock.advance(60_001);
        assert.equal(await env.engine.queue.recover({}), 3);
        await env.engine.pool.drain();
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 3);
        // The dead worker's late answer changes nothing.
        await env.engine.queue.complete(
          batch!,
          new Map(batch!.transfers.map((t) => [t.id, { status: 'skipped', reason: 'late' }])),
          new Map(),
        );
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 3);
      } finally {
        await env.close();
      }
    });

    test('a handler that throws fails the batch for a retry; secrets in steps are redacted', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        env.engine.registry.register({
          flow: 'customer-to-profile',
          direction: 'from_hub',
          async handle(batch, ctx) {
            ctx.step(batch[0].id, {
              kind: 'request',
              message: 'POST /api/profiles with Authorization: Klaviyo-API-Key pk_abcdef123456',
              data: {
                headers: { Authorization: 'Klaviyo-API-Key pk_abcdef123456' },
                body: { email: 'a@b.co' },
              },
            });
            throw new Error('socket hang up');
          },
        });
        await env.hub.upsert('customer', { id: 's1' });
        await env.engine.pool.drain();
        const [t] = (await env.engine.log.list({})).data;
        assert.equal(t.state, 'failed');
        assert.equal(t.error_code, 'INTERNAL_ERROR');
        const steps = await env.engine.log.steps(t.id);
        const text = JSON.stringify(steps);
        assert.ok(!text.includes('pk_abcdef123456'), text);
        assert.ok(text.includes('a@b.co'));
      } finally {
        await env.close();
      }
    });

    test('forgetting a subscription removes its transfers, steps, links and watermarks, not others', async () => {
      const env = await setup(
        backend,
        staticFlowSettings({ A: ['customer/created'], B: ['customer/created'] }),
      );
      try {
        env.engine.registry.register(testFlow('customer-to-profile'));
        await env.hub.upsertMany('customer', customers(3));
        await env.engine.pool.drain();
        await env.engine.links.set([
          { subscription_id: 'A', table_name: 'customer', hub_id: 'c0', klaviyo_id: 'K0' },
        ]);
        await env.engine.links.set([
          { subscription_id: 'B', table_name: 'customer', hub_id: 'c0', klaviyo_id: 'K9' },
        ]);
        await env.engine.watermarks.set('A', 'poll:profiles', '2026-01-01T00:00:00Z');
        await env.engine.log.forgetSubscription('A');
        assert.equal(await env.engine.log.count({ subscription_id: 'A' }), 0);
        assert.equal(await env.engine.log.count({ subscription_id: 'B' }), 3);
        assert.equal(await env.engine.links.klaviyoIdOf('A', 'customer', 'c0'), null);
        assert.equal(await env.engine.links.klaviyoIdOf('B', 'customer', 'c0'), 'K9');
        assert.equal(await env.engine.links.hubIdOf('B', 'customer', 'K9'), 'c0');
        assert.equal(await env.engine.watermarks.get('A', 'poll:profiles'), null);
        const orphanSteps = await env.store.db.selectFrom('transfer_steps').select('transfer_id').execute();
        const left = new Set((await env.engine.log.list({}, { limit: 500 })).data.map((t) => Number(t.id)));
        assert.ok(orphanSteps.every((s) => left.has(Number(s.transfer_id))));
      } finally {
        await env.close();
      }
    });

    test('the log keeps transfers for the retention period, then cleans them up', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        env.engine.registry.register(testFlow('customer-to-profile'));
        await env.hub.upsertMany('customer', customers(3));
        await env.engine.pool.drain();
        env.clock.advance(29 * 86_400_000);
        assert.equal(await env.engine.log.cleanup(30), 0);
        await env.hub.upsert('customer', { id: 'fresh' });
        env.clock.advance(2 * 86_400_000);
        assert.equal(await env.engine.log.cleanup(30), 3);
        assert.equal(await env.engine.log.count({}), 1, 'the queued one stays');
      } finally {
        await env.close();
      }
    });
  });
}
