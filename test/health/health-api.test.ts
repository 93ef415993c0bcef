// Subscription health through the real service and the sandbox: a 3,000-transfer burst shows in the queue
// chart and the dashboard (it used to be a flat 0), the backlog and ETA note follow the queue, the last
// success is the latest transfer sent, and failures are grouped by code over the last hour and day.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { etaOf } from '../../src/health/health.ts';
import { FROM_HUB_FLOW } from '../../src/transfer/flows.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { transferRow } from '../helpers/transfers.ts';
import { waitFor } from '../helpers/wait.ts';

test('the ETA is the backlog over the net drain rate, or says why there is none', () => {
  assert.deepEqual(etaOf(0, 10, 0, false), { eta_seconds: null, eta_note: 'empty' });
  assert.deepEqual(etaOf(100, 10, 0, true), { eta_seconds: null, eta_note: 'paused' });
  assert.deepEqual(etaOf(100, 0, 0, false), { eta_seconds: null, eta_note: 'not_draining' });
  assert.deepEqual(etaOf(100, 10, 12, false), { eta_seconds: null, eta_note: 'growing' });
  assert.deepEqual(etaOf(100, 30, 10, false), { eta_seconds: 300, eta_note: null });
});

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false])
  describe(`subscription health (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    let sandbox: Sandbox;
    let svc: TestService;
    let sub: string;

    before(async () => {
      sandbox = await startSandbox();
      svc = await startTestService({ postgres, env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
      const made = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Health Shop',
        api_url: sandbox.url,
        api_key: sandbox.apiKey,
        default_phone_country: 'US',
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      sub = made.body.id;
    });
    after(async () => {
      await svc?.close();
      await sandbox?.close();
    });

    const health = async () => {
      const h = await svc.api('GET', `/api/v1/subscriptions/${sub}/health`);
      assert.equal(h.status, 200, JSON.stringify(h.body));
      return h.body;
    };

    test('a 3,000-transfer burst shows in the health chart and on the dashboard', async () => {
      const empty = await health();
      assert.equal(empty.backlog.total, 0);
      assert.equal(empty.drain.eta_note, 'empty');
      assert.equal(empty.last_success_at, null);
      assert.equal(empty.chart.buckets.length, 144);
      assert.equal(empty.chart.bucket_minutes, 10);

      // Held while it arrives, so the burst's size is known; then it drains in seconds.
      await svc.api('POST', '/api/v1/transfers/pause', { subscription_id: sub });
      for (let b = 0; b < 3; b++) {
        const records = Array.from({ length: 1000 }, (_, i) => ({
          id: `burst-${b * 1000 + i}`,
          email_address: `burst-${b * 1000 + i}@shop.test`,
        }));
        assert.equal((await svc.api('POST', '/api/v1/customers/batch', { records })).status, 200);
      }
      const held = await health();
      assert.equal(held.backlog.queued, 3000);
      assert.equal(held.drain.eta_note, 'paused');
      assert.ok(held.drain.arriving_per_minute >= 300, JSON.stringify(held.drain));
      await waitFor('a sample of the burst', async () => {
        const rows = await svc.ctx.store.db
          .selectFrom('queue_depth_samples')
          .selectAll()
          .where('subscription_id', '=', sub)
          .execute();
        return rows.some((r) => Number(r.peak) === 3000);
      });
      await svc.api('POST', '/api/v1/transfers/resume', { subscription_id: sub });
      // Klaviyo's new profiles may come back by the profile poll as transfers of their own: count the burst's.
      await waitFor(
        'the burst sent',
        async () => {
          const sent = await svc.ctx.store.db
            .selectFrom('transfers')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('subscription_id', '=', sub)
            .where('flow', '=', FROM_HUB_FLOW.customer)
            .where('state', '=', 'succeeded')
            .executeTakeFirst();
          return Number(sent?.n) === 3000 && (await health()).backlog.total === 0;
        },
        180_000,
      );
      const done = await health();
      assert.ok(done.chart.succeeded.reduce((a: number, b: number) => a + b, 0) >= 3000);
      assert.ok(Math.max(...done.chart.queue_peak) >= 3000, 'the chart shows the burst');
      assert.ok(done.last_success_at && Date.parse(done.last_success_at) > Date.now() - 120_000);
      assert.ok(done.drain.done_per_minute >= 300, JSON.stringify(done.drain));
      assert.equal(done.drain.eta_note, 'empty');

      const dash = await svc.api('GET', '/api/v1/dashboard');
      assert.ok(Math.max(...dash.body.queue_depth) >= 3000, 'the dashboard shows the burst, not a flat 0');
      const all = await svc.api('GET', '/api/v1/health/subscriptions');
      assert.equal(all.status, 200);
      const mine = all.body.data.find((s: { id: string }) => s.id === sub);
      assert.equal(mine.backlog, 0);
      assert.equal(mine.name, 'Health Shop');
    });

    test('failures in the last hour and day, grouped by code with an example message', async () => {
      const now = Date.now();
      const at = (msAgo: number) => new Date(now - msAgo).toISOString();
      const rows = [
        ...Array.from({ length: 4 }, (_, i) => ['KLAVIYO_EMAIL_INVALID', 'failed', 5 * 60_000 + i] as const),
        ...Array.from({ length: 2 }, (_, i) => ['KLAVIYO_UNAVAILABLE', 'dead', 10 * 60_000 + i] as const),
        ...Array.from({ length: 7 }, (_, i) => ['KLAVIYO_UNAVAILABLE', 'dead', 3 * 3_600_000 + i] as const),
        ['KLAVIYO_INVALID_INPUT', 'failed', 30 * 3_600_000] as const, // older than a day
      ].map(([code, state, ago], i) =>
        transferRow({
          subscription_id: sub,
          record_id: `f-${i}`,
          state,
          tracking_id: `tf-${i}`,
          error_code: code,
          error_message: `${code}: example ${i}`,
          created_at: at(ago),
          updated_at: at(ago),
        }),
      );
      await svc.ctx.store.db.insertInto('transfers').values(rows).execute();
      const h = await health();
      assert.equal(h.failures.last_hour.total, 6);
      assert.deepEqual(
        h.failures.last_hour.by_code.map((g: { code: string; count: number }) => [g.code, g.count]),
        [
          ['KLAVIYO_EMAIL_INVALID', 4],
          ['KLAVIYO_UNAVAILABLE', 2],
        ],
      );
      assert.equal(h.failures.last_day.total, 13);
      assert.deepEqual(
        h.failures.last_day.by_code.map((g: { code: string; count: number }) => [g.code, g.count]),
        [
          ['KLAVIYO_UNAVAILABLE', 9],
          ['KLAVIYO_EMAIL_INVALID', 4],
        ],
      );
      assert.match(h.failures.last_hour.by_code[0].example, /^KLAVIYO_EMAIL_INVALID: example \d$/);
      assert.equal(
        h.chart.failed.reduce((a: number, b: number) => a + b, 0),
        13,
        'the chart counts the day’s failures',
      );
      const missing = await svc.api('GET', '/api/v1/subscriptions/nope/health');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'NOT_FOUND');
    });
  });
