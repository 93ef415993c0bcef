// A transfer that stops its worker every time it runs (a crash, a hang past its lease) must not hold its
// lane forever: after MAX_INTERRUPTIONS such runs it is set aside as dead, and the lane moves on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_INTERRUPTIONS } from '../../src/transfer/retry.ts';
import { backends, customers, setup, staticFlowSettings, testFlow } from './helpers.ts';

const CLAIMS = { leaseMs: 60_000, flows: ['customer-to-profile'], maxBatch: () => 10 };

for (const backend of backends()) {
  describe(`transfer interruptions (${backend.name})`, () => {
    test('a transfer interrupted three times goes dead with TRANSFER_ABANDONED; the rest of its lane runs', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        env.engine.registry.register(testFlow('customer-to-profile'));
        await env.hub.upsertMany('customer', customers(3));
        const claimed: number[] = [];
        let poison = '';
        for (let run = 1; run <= MAX_INTERRUPTIONS; run++) {
          const batch = await env.engine.queue.claim(`crashing-${run}`, CLAIMS);
          assert.ok(batch, `run ${run} claims`);
          claimed.push(batch.transfers.length);
          poison = batch.transfers[0]!.id;
          // The worker dies: the first time its lease runs out, later the single process restarts.
          if (run === 1) {
            env.clock.advance(60_001);
            await env.engine.queue.recover({});
          } else await env.engine.queue.recover({ all: true });
        }
        // Once suspect, the transfer runs alone, so its batch mates are not blamed with it.
        assert.deepEqual(claimed, [3, 1, 1]);
        const dead = await env.engine.log.get(poison);
        assert.equal(dead?.state, 'dead');
        assert.equal(dead?.error_code, 'TRANSFER_ABANDONED');
        assert.match(dead?.error_message ?? '', /worker stopped while running this transfer 3 times/);
        assert.equal(dead?.next_attempt_at, null);
        const steps = await env.engine.log.steps(poison);
        assert.equal(
          steps.filter((s) => s.message.includes('The worker stopped while running it')).length,
          2,
        );
        assert.ok(steps.some((s) => s.level === 'error' && s.message.includes('TRANSFER_ABANDONED')));

        await env.engine.pool.drain();
        assert.equal(await env.engine.log.count({ state: 'succeeded' }), 2, 'the lane moved on');
        assert.equal(await env.engine.log.count({ state: 'dead' }), 1);

        // Retried by hand, it starts with a clean count and may run again.
        await env.engine.log.retry(poison);
        await env.engine.pool.drain();
        assert.equal((await env.engine.log.get(poison))?.state, 'succeeded');
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
