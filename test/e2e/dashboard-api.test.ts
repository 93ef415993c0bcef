// GET /api/v1/dashboard: the series the console's dashboard charts, from real transfer rows and from
// the Klaviyo clients' counters.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { KlaviyoClientStats } from '../../src/klaviyo/transport.ts';
import { KlaviyoSampler, WINDOW_MINUTES } from '../../src/server/routes/dashboard.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';

function stats(calls: number, rateLimited: number, used: number): KlaviyoClientStats {
  return {
    calls,
    rateLimited,
    retries: 0,
    failures: 0,
    tokenRefreshes: 0,
    inFlight: 0,
    tiers: [
      {
        tier: '10/s:150/m',
        windows: [
          { name: 'burst', used: 1, limit: 10 },
          { name: 'steady', used, limit: 150 },
        ],
        blockedUntil: 0,
      },
    ],
  };
}

describe('dashboard sampler', () => {
  test('turns running totals into calls and 429s per minute, and budget use per tier', async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 10);
    let current = [stats(100, 1, 0)];
    const sampler = new KlaviyoSampler(
      async () => current,
      () => now,
    );
    await sampler.sample(); // baseline: counts from before the sampler have no minute
    current = [stats(130, 3, 75)];
    await sampler.sample();
    now += 60_000;
    current = [stats(135, 3, 30), stats(7, 0, 15)];
    await sampler.sample();
    const m0 = Math.floor(Date.UTC(2026, 0, 1, 12, 0) / 1000);
    const series = sampler.series([m0 - 60, m0, m0 + 60]);
    assert.deepEqual(series.calls, [0, 30, 12]);
    assert.deepEqual(series.rateLimited, [0, 2, 0]);
    assert.deepEqual(series.budgets, [{ tier: '10/s:150/m', percent: [null, 50, 20] }]);
    assert.deepEqual(sampler.current, [{ tier: '10/s:150/m', used: 30, limit: 150 }]);
  });
});

for (const store of ['sqlite', 'postgres'] as const) {
  const skip = store === 'postgres' && !TEST_DATABASE_URL ? 'TEST_DATABASE_URL is not set' : false;
  describe(`GET /api/v1/dashboard (${store})`, { skip }, () => {
    let svc: TestService;
    before(async () => {
      svc = await startTestService({ postgres: store === 'postgres' });
    });
    after(async () => {
      await svc?.close();
    });

    test('answers a minute-by-minute hour of transfers by state, queue depth and current counts', async () => {
      const now = new Date();
      const at = now.toISOString();
      const earlier = new Date(now.getTime() - 5 * 60_000).toISOString();
      const row = (state: string, created: string, updated: string) => ({
        subscription_id: 'sub-dash',
        collection_id: null,
        flow: 'customer_to_profile',
        direction: 'from_hub',
        trigger: 'manual',
        record_kind: 'customer',
        record_id: randomUUID(),
        record_version: 1,
        collapse_key: null,
        state,
        priority: 0,
        debug: 0,
        attempts: state === 'queued' ? 0 : 1,
        max_attempts: 10,
        // Far in the future so the service's worker leaves the queued rows alone.
        next_attempt_at: state === 'queued' ? now.getTime() + 3_600_000 : null,
        lease_until: null,
        claimed_by: null,
        error_code: null,
        error_message: null,
        tracking_id: randomUUID(),
        payload: null,
        created_at: created,
        updated_at: updated,
      });
      await svc.ctx.store.db
        .insertInto('transfers')
        .values([
          row('succeeded', earlier, at),
          row('succeeded', earlier, at),
          row('succeeded', earlier, earlier),
          row('dead', earlier, at),
          row('queued', at, at),
          row('queued', at, at),
        ])
        .execute();

      const res = await svc.api('GET', '/api/v1/dashboard');
      assert.equal(res.status, 200);
      const d = res.body;
      assert.equal(d.minutes.length, WINDOW_MINUTES);
      // The minute of the rows (the service's clock may already be in the next one).
      const last = d.minutes.indexOf(Math.floor(now.getTime() / 60_000) * 60);
      assert.ok(last >= d.minutes.length - 2, 'the current minute is charted');
      assert.equal(d.transfers.succeeded[last], 2);
      assert.equal(d.transfers.succeeded[last - 5], 1);
      assert.equal(d.transfers.dead[last], 1);
      assert.equal(d.transfers.queued[last], 2);
      assert.equal(d.queue.succeeded, 3);
      assert.equal(d.queue.queued, 2);
      // Waiting now: the two queued; five minutes ago all four of the earlier ones but one were still waiting.
      assert.equal(d.queue_depth[last], 2);
      assert.equal(d.queue_depth[last - 1], 3);
      assert.equal(d.klaviyo.calls.length, WINDOW_MINUTES);
    });

    test('needs a signed-in user', async () => {
      const res = await fetch(`${svc.baseUrl}/api/v1/dashboard`);
      assert.equal(res.status, 401);
    });
  });
}
