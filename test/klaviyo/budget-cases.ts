// Budget arithmetic every RateBudgetStore must share, run against each store (memory in units.test.ts,
// PostgreSQL in budgets-postgres.test.ts) with an injected clock.
import assert from 'node:assert/strict';
import { type RateBudgetStore, windowsFor } from '../../src/klaviyo/budgets.ts';

export interface BudgetCase {
  name: string;
  run(store: RateBudgetStore): Promise<void>;
}

const t0 = 1_000_000;

export const budgetCases: BudgetCase[] = [
  {
    name: 'a tier spends from burst and steady windows; the tighter one decides',
    async run(store) {
      const windows = windowsFor({ burst: 3, steady: 5 }, 0);
      const waits: number[] = [];
      for (let i = 0; i < 3; i++) waits.push(await store.take('k', windows, t0));
      assert.deepEqual(waits, [0, 0, 0]);
      assert.equal(await store.take('k', windows, t0 + 10), 990, 'burst is spent until t0 + 1 s');
      assert.equal(await store.take('k', windows, t0 + 1000), 0);
      assert.equal(await store.take('k', windows, t0 + 1000), 0);
      assert.equal(await store.take('k', windows, t0 + 1000), 60_000 - 1000, 'steady (5/min) is spent');
      const usage = await store.usage('k', windows, t0 + 1000);
      assert.deepEqual(
        usage.windows.map((w) => [w.name, w.used, w.limit]),
        [
          ['burst', 2, 3],
          ['steady', 5, 5],
        ],
      );
    },
  },
  {
    name: 'windows slide: a grant frees exactly one window after it, not at a fixed edge',
    async run(store) {
      const windows = windowsFor({ burst: 3, steady: 100 }, 50);
      for (const t of [900, 950, 999]) assert.equal(await store.take('k', windows, t0 + t), 0);
      // A fixed 1 s window would start afresh at t0 + 1000 and grant 3 more: 6 inside 100 ms.
      assert.equal(
        await store.take('k', windows, t0 + 1000),
        950,
        'the grant at 900 frees at 1950 (1 s + 50 ms)',
      );
      assert.equal(await store.take('k', windows, t0 + 1950), 0);
      assert.ok((await store.take('k', windows, t0 + 1950)) > 0);
    },
  },
  {
    name: 'a refused take spends nothing',
    async run(store) {
      const windows = windowsFor({ burst: 1, steady: 100 }, 0);
      await store.take('k', windows, t0);
      for (let i = 0; i < 5; i++) assert.ok((await store.take('k', windows, t0 + 1)) > 0);
      const usage = await store.usage('k', windows, t0 + 1);
      assert.equal(usage.windows.find((w) => w.name === 'steady')?.used, 1);
    },
  },
  {
    name: 'buckets are independent per key',
    async run(store) {
      const windows = windowsFor({ burst: 1, steady: 10 }, 0);
      assert.equal(await store.take('acct-a|1/s', windows, t0), 0);
      assert.equal(await store.take('acct-b|1/s', windows, t0), 0);
      assert.ok((await store.take('acct-a|1/s', windows, t0)) > 0);
    },
  },
  {
    name: 'a block holds the bucket until its end; a shorter block does not shorten it',
    async run(store) {
      const windows = windowsFor({ burst: 10, steady: 100 }, 0);
      await store.block('k', t0 + 5000);
      await store.block('k', t0 + 2000);
      assert.equal(await store.take('k', windows, t0), 5000);
      assert.equal(await store.take('k', windows, t0 + 4999), 1);
      assert.equal((await store.usage('k', windows, t0 + 4999)).blockedUntil, t0 + 5000);
      assert.equal(await store.take('k', windows, t0 + 5000), 0);
      assert.equal((await store.usage('k', windows, t0 + 5000)).blockedUntil, 0);
    },
  },
  {
    name: 'the server report lowers the steady budget to what is really left',
    async run(store) {
      const windows = windowsFor({ burst: 100, steady: 10 }, 0);
      await store.take('k', windows, t0);
      // We spent 1 of 10, the server says 4 remain: 5 were spent by someone else, freed when its window resets.
      await store.observe('k', windows, { limit: 10, remaining: 4, resetMs: 20_000 }, t0);
      for (let i = 0; i < 4; i++) assert.equal(await store.take('k', windows, t0 + 1), 0);
      assert.equal(await store.take('k', windows, t0 + 1), 19_999, 'others’ calls free at the server reset');
      const usage = await store.usage('k', windows, t0 + 1);
      assert.deepEqual(
        usage.windows.map((w) => [w.name, w.used]),
        [
          ['burst', 5],
          ['steady', 10],
        ],
        'only the steady window counts what the server reported',
      );
    },
  },
  {
    name: 'a server report that agrees with our count books nothing',
    async run(store) {
      const windows = windowsFor({ burst: 100, steady: 10 }, 0);
      await store.take('k', windows, t0);
      await store.take('k', windows, t0);
      await store.observe('k', windows, { limit: 10, remaining: 9, resetMs: 30_000 }, t0);
      const usage = await store.usage('k', windows, t0);
      assert.equal(usage.windows.find((w) => w.name === 'steady')?.used, 2);
    },
  },
  {
    name: 'a lower RateLimit-Limit than the table wins',
    async run(store) {
      const windows = windowsFor({ burst: 100, steady: 750 }, 0);
      await store.observe('k', windows, { limit: 700 }, t0);
      const usage = await store.usage('k', windows, t0);
      assert.equal(usage.windows.find((w) => w.name === 'steady')?.limit, 700);
      await store.observe('k', windows, { limit: 800 }, t0);
      assert.equal((await store.usage('k', windows, t0)).windows[1]?.limit, 700, 'a higher one is ignored');
    },
  },
  {
    name: 'a daily cap holds after the minute windows have freed',
    async run(store) {
      const windows = windowsFor({ burst: 2, steady: 2, daily: 3 }, 0);
      assert.equal(await store.take('k', windows, t0), 0);
      assert.equal(await store.take('k', windows, t0), 0);
      assert.equal(await store.take('k', windows, t0 + 60_000), 0);
      assert.equal(
        await store.take('k', windows, t0 + 120_000),
        86_400_000 - 120_000,
        'the first grant frees in a day',
      );
      const usage = await store.usage('k', windows, t0 + 120_000);
      assert.deepEqual(
        usage.windows.map((w) => [w.name, w.used]),
        [
          ['burst', 0],
          ['steady', 0],
          ['daily', 3],
        ],
      );
    },
  },
];
