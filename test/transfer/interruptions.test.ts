// A transfer that stops its worker every time it runs (a crash, a hang past its lease) must not hold its
// lane forever: after MAX_INTERRUPTIONS such runs it is set aside as dead, and the lane moves on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_INTERRUPTIONS } from '../../src/transfer/retry.ts';
import { backends, customers, setup, staticFlowSettings, testFlow } from './helpers.ts';

const CLAIMS = { leaseMs: 60_000, flows: ['customer-to-profile'], maxBatch: () => 10 };

for (const backend of backends()) {
  describe(`transfer interruptions (${backend.name})`, () => {
    test('an interrupted batch is claimed again as a whole batch, in lane order', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        env.engine.registry.register(testFlow('customer-to-profile'));
        await env.hub.upsertMany('customer', customers(25));
        const first = await env.engine.queue.claim('killed', CLAIMS);
        assert.equal(first?.transfers.length, 10);
        await env.engine.queue.recover({ all: true }); // the process was killed; it starts again
        const again = await env.engine.queue.claim('restarted', CLAIMS);
        assert.deepEqual(
          again?.transfers.map((t) => t.id),
          first!.transfers.map((t) => t.id),
          'the same ten, together, at the head of the lane',
        );
        await env.engine.queue.complete(
          again!,
          new Map(again!.transfers.map((t) => [t.id, { status: 'succeeded' }])),
          new Map(),
        );
        await env.engine.pool.drain();
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 25);
      } finally {
        await env.close();
      }
    });

    test('a transfer that stops its worker every time is found by halving its batch and set aside', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        env.engine.registry.register(testFlow('customer-to-profile'));
        await env.hub.upsertMany('customer', customers(16));
        const claims = { ...CLAIMS, maxBatch: () => 16 };
        const sizes: number[] = [];
        const finished: string[] = [];
        let poison = '';
        for (let run = 1; run <= 40; run++) {
          const batch = await env.engine.queue.claim(`worker-${run}`, claims);
          if (!batch) break;
          poison ||= batch.transfers.find((t) => t.record_id === 'c11')!.id;
          sizes.push(batch.transfers.length);
          if (batch.transfers.some((t) => t.id === poison)) {
            // The worker dies: the first time its lease runs out, later the single process restarts.
            if (run === 1) {
              env.clock.advance(60_001);
              await env.engine.queue.recover({});
            } else await env.engine.queue.recover({ all: true });
            continue;
          }
          await env.engine.queue.complete(
            batch,
            new Map(batch.transfers.map((t) => [t.id, { status: 'succeeded' }])),
            new Map(),
          );
          finished.push(...batch.transfers.map((t) => t.record_id));
        }
        // Retried whole once, then halved around the poison; batches without it go through.
        assert.deepEqual(sizes, [16, 16, 8, 8, 4, 2, 2, 1, 1, 4]);
        const ids = Array.from({ length: 16 }, (_, i) => `c${i}`).filter((id) => id !== 'c11');
        assert.deepEqual(finished, ids, 'the lane keeps its order');
        const dead = await env.engine.log.get(poison);
        assert.equal(dead?.state, 'dead');
        assert.equal(dead?.error_code, 'TRANSFER_ABANDONED');
        assert.match(dead?.error_message ?? '', /worker stopped while running this transfer 6 times/);
        assert.equal(dead?.next_attempt_at, null);
        const steps = await env.engine.log.steps(poison);
        assert.equal(
          steps.filter((s) => s.message.includes('The worker stopped while running it')).length,
          5,
        );
        assert.ok(steps.some((s) => s.level === 'error' && s.message.includes('TRANSFER_ABANDONED')));
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 15, 'the lane moved on');

        // Retried by hand, it starts with a clean count and may run again.
        await env.engine.log.retry(poison);
        await env.engine.pool.drain();
        assert.equal((await env.engine.log.get(poison))?.state, 'succeeded');
      } finally {
        await env.close();
      }
    });

    test('a lone transfer interrupted three times goes dead; the rest of its lane runs', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        env.engine.registry.register(testFlow('customer-to-profile'));
        await env.hub.upsertMany('customer', customers(1));
        for (let run = 1; run <= MAX_INTERRUPTIONS; run++) {
          const batch = await env.engine.queue.claim(`crashing-${run}`, CLAIMS);
          assert.equal(batch?.transfers.length, 1, `run ${run} claims`);
          assert.equal(batch?.backlog, 1);
          await env.engine.queue.recover({ all: true });
        }
        assert.equal(await env.engine.log.count({ state: 'dead' }), 1);
        await env.hub.upsertMany('customer', customers(2, 'n'));
        await env.engine.pool.drain();
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 2);
      } finally {
        await env.close();
      }
    });

    test('transfers returned by a graceful shutdown are not counted as interrupted', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        env.engine.registry.register(testFlow('customer-to-profile'));
        await env.hub.upsertMany('customer', customers(3));
        for (let run = 1; run <= MAX_INTERRUPTIONS + 2; run++) {
          const batch = await env.engine.queue.claim(`stopping-${run}`, CLAIMS);
          assert.equal(batch?.transfers.length, 3, 'still claimed together: no suspect');
          await env.engine.queue.complete(batch!, new Map(), new Map());
        }
        assert.equal(await env.engine.log.count({ state: 'queued' }), 3);
        await env.engine.pool.drain();
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 3);
        assert.equal(await env.engine.log.count({ state: 'dead' }), 0);
      } finally {
        await env.close();
      }
    });
  });
}
