// A failure that carries a Retry-After (a receiver's 429 or 503) is retried no sooner than it asked,
// and never sooner than the usual schedule.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_RETRY_AFTER_MS, retryAfterMs, retryDelayMs } from '../../src/transfer/retry.ts';
import { backends, customers, setup, staticFlowSettings, testFlow } from './helpers.ts';

const HOUR = 3_600_000;

test('Retry-After reads seconds and HTTP dates, ignores nonsense and is capped', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  assert.equal(retryAfterMs('120', now), 120_000);
  assert.equal(retryAfterMs(' 0 ', now), 0);
  assert.equal(retryAfterMs('Sun, 01 Mar 2026 14:00:00 GMT', now), 2 * HOUR);
  assert.equal(retryAfterMs('Sun, 01 Mar 2026 11:00:00 GMT', now), 0, 'a date in the past: no wait');
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs('-5', now), undefined);
  assert.equal(retryAfterMs(null, now), undefined);
  assert.equal(retryAfterMs('99999999', now), MAX_RETRY_AFTER_MS);
});

for (const backend of backends()) {
  describe(`Retry-After in the retry schedule (${backend.name})`, () => {
    test('the retry waits for the longer of the schedule and the Retry-After', async () => {
      const env = await setup(backend, staticFlowSettings({ A: ['customer/created'] }));
      try {
        // c0 asks for 2 h (longer than the 20 min schedule), c1 for 1 min (shorter).
        const waits: Record<string, number> = { c0: 2 * HOUR, c1: 60_000 };
        env.engine.registry.register(
          testFlow('customer-to-profile', (t) => ({
            status: 'failed',
            code: 'WEBHOOK_DELIVERY_FAILED',
            message: 'HTTP 429',
            retryable: true,
            retryAfterMs: waits[t.record_id],
          })),
        );
        await env.hub.upsertMany('customer', customers(2));
        await env.engine.pool.drain();
        const start = env.clock.now();
        const byRecord = new Map((await env.engine.log.list({})).data.map((t) => [t.record_id, t] as const));
        assert.equal(byRecord.get('c0')?.next_attempt_at, new Date(start + 2 * HOUR).toISOString());
        assert.equal(byRecord.get('c1')?.next_attempt_at, new Date(start + retryDelayMs(1)).toISOString());

        env.clock.advance(retryDelayMs(1));
        assert.equal(await env.engine.queue.recover({}), 1, 'only the one on the usual schedule is due');
        env.clock.advance(2 * HOUR - retryDelayMs(1));
        assert.equal(await env.engine.queue.recover({}), 1, 'the other, once its Retry-After has passed');
      } finally {
        await env.close();
      }
    });
  });
}
