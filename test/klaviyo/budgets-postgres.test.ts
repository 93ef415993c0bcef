import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { windowsFor } from '../../src/klaviyo/budgets.ts';
import { createKlaviyoClient, PostgresRateBudgetStore } from '../../src/klaviyo/index.ts';
import { openStore } from '../../src/store/db.ts';
import {
  RATE_BUDGET_WINDOWS_TABLE,
  rateBudgetWindowsMigration,
} from '../../src/store/migrations/0003_rate_budget_windows.ts';
import { budgetCases } from './budget-cases.ts';
import { json, startServer, virtualTime } from './helpers.ts';
import { dropSchemaSql } from '../../src/store/migrate.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;
const skip = databaseUrl
  ? false
  : 'TEST_DATABASE_URL is not set, so the PostgreSQL budget store is not tested';
if (skip) console.log(`# budgets-postgres: skipped (${skip})`);

const t0 = 1_000_000;

/**
 * Runs `work` with `processes` stores on one fresh schema, each on a pool of its own (standing in for
 * worker processes), the table made by the service's migration.
 */
async function withStores(
  processes: number,
  work: (stores: PostgresRateBudgetStore[]) => Promise<void>,
): Promise<void> {
  const pgSchema = `test_${randomBytes(6).toString('hex')}`;
  const handles = Array.from({ length: processes }, () => openStore({ dataDir: '', databaseUrl, pgSchema }));
  try {
    await sql`CREATE SCHEMA ${sql.id(pgSchema)}`.execute(handles[0].db);
    await rateBudgetWindowsMigration.up(handles[0].db, 'postgres');
    const stores = handles.map((h) => {
      assert.ok(h.pool);
      return new PostgresRateBudgetStore({
        pool: h.pool,
        table: RATE_BUDGET_WINDOWS_TABLE,
        schema: pgSchema,
      });
    });
    await work(stores);
  } finally {
    await sql.raw(dropSchemaSql(pgSchema)).execute(handles[0].db);
    await Promise.all(handles.map((h) => h.close()));
  }
}

describe('PostgreSQL budget store: the memory store’s arithmetic (injected clock)', { skip }, () => {
  for (const c of budgetCases) test(c.name, () => withStores(1, ([store]) => c.run(store)));
});

describe('PostgreSQL budget store across processes', { skip }, () => {
  test('20 concurrent acquisitions from two pools on a 3/s tier: never more than 3 in any 1 s', async () => {
    await withStores(2, async (stores) => {
      const windows = windowsFor({ burst: 3, steady: 1000 }, 0);
      const grants: number[] = [];
      let pending = Array.from({ length: 20 }, (_, i) => i);
      let now = t0;
      let rounds = 0;
      while (pending.length > 0) {
        rounds++;
        assert.ok(rounds < 50, 'acquisitions keep making progress');
        // Each acquirer's clock is a little off the others' (up to 200 ms), as processes' clocks are.
        const at = (id: number) => now + ((id * 37) % 200);
        const waits = await Promise.all(
          pending.map((id) => stores[id % 2].take('acct|3/s', windows, at(id))),
        );
        if (rounds === 1) assert.equal(waits.filter((w) => w === 0).length, 3, `first round waits ${waits}`);
        for (const [i, id] of pending.entries()) if (waits[i] === 0) grants.push(at(id));
        const refused = waits.filter((w) => w > 0);
        pending = pending.filter((_, i) => waits[i] > 0);
        if (refused.length > 0) now += Math.min(...refused);
      }
      assert.equal(grants.length, 20);
      grants.sort((a, b) => a - b);
      for (let i = 3; i < grants.length; i++) {
        assert.ok(grants[i] - grants[i - 3] >= 1000, `4 grants within 1 s: ${grants.slice(i - 3, i + 1)}`);
      }
    });
  });

  test('a 429 block set by one process holds the other; server reports are shared too', async () => {
    await withStores(2, async ([a, b]) => {
      const windows = windowsFor({ burst: 10, steady: 10 }, 0);
      await a.block('acct|tier', t0 + 5000);
      assert.equal(await b.take('acct|tier', windows, t0), 5000);
      assert.equal((await b.usage('acct|tier', windows, t0)).blockedUntil, t0 + 5000);
      assert.equal(await b.take('acct|tier', windows, t0 + 5000), 0);
      await a.observe('acct|tier', windows, { limit: 8, remaining: 2, resetMs: 30_000 }, t0 + 5000);
      const usage = await b.usage('acct|tier', windows, t0 + 5000);
      assert.deepEqual(
        usage.windows.map((w) => [w.name, w.used, w.limit]),
        [
          ['burst', 1, 10],
          ['steady', 6, 8],
        ],
        'B sees the lower limit and the 5 calls made elsewhere that A learned of',
      );
    });
  });

  test('a client meeting a 429 blocks the tier for the other process until Retry-After', async () => {
    await withStores(2, async ([a, b]) => {
      let calls = 0;
      const server = await startServer((_req, res) =>
        ++calls === 1 ? json(res, 429, { errors: [] }, { 'Retry-After': '5' }) : json(res, 202, undefined),
      );
      try {
        const time = virtualTime(t0);
        const client = createKlaviyoClient({
          baseUrl: server.baseUrl,
          auth: { kind: 'api_key', apiKey: 'pk_x' },
          budgetKey: 'acct',
          budgets: a,
          now: time.now,
          sleep: time.sleep,
          random: () => 0,
        });
        const sent = client.dataPrivacy.requestDeletion({ email: 'a@example.com' });
        await sent;
        assert.equal(server.requests.length, 2, 'retried once the block ended');
        assert.ok(time.now() >= t0 + 5000, `the retry waited for Retry-After (at ${time.now() - t0} ms)`);
        const stats = await client.stats();
        const bucket = `acct|${stats.tiers[0]?.tier}`;
        const windows = windowsFor({ burst: 3, steady: 60 }, 50);
        const seen = await b.usage(bucket, windows, t0 + 1);
        assert.equal(seen.blockedUntil, t0 + 5000, 'the other process sees the block');
        assert.ok((await b.take(bucket, windows, t0 + 1)) > 4000);
      } finally {
        await server.close();
      }
    });
  });

  test('throughput of takes against this PostgreSQL (printed, not asserted)', async (t) => {
    await withStores(2, async (stores) => {
      const windows = windowsFor({ burst: 1_000_000, steady: 1_000_000 }, 0);
      const perWorker = 50;
      const workers = 16;
      const started = performance.now();
      let granted = 0;
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          for (let i = 0; i < perWorker; i++) {
            // Every take is a grant that rewrites the bucket's row: the costly path.
            if ((await stores[w % 2].take('hot|bucket', windows, t0 + i)) === 0) granted++;
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      assert.equal(granted, workers * perWorker);
      t.diagnostic(
        `${Math.round(granted / seconds)} takes/s on one contended bucket (${workers} callers, 2 pools)`,
      );
    });
  });
});
