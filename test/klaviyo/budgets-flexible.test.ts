import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { windowsFor } from '../../src/klaviyo/budgets.ts';
import { createKlaviyoClient, FlexibleRateBudgetStore } from '../../src/klaviyo/index.ts';
import { json, startServer, virtualTime } from './helpers.ts';

// These limiters keep their own clock (Date.now); the checks below need no waiting.

test('rate-limiter-flexible store: spends all windows or none, and reports the wait', async () => {
  const shapes: string[] = [];
  const store = new FlexibleRateBudgetStore((shape) => {
    shapes.push(`${shape.points}/${shape.duration}s`);
    return new RateLimiterMemory(shape);
  });
  const windows = windowsFor({ burst: 3, steady: 4 }, 0);
  const now = Date.now();
  assert.deepEqual([await store.take('k', windows, now), await store.take('k', windows, now)], [0, 0]);
  assert.equal(await store.take('k', windows, now), 0);
  const wait = await store.take('k', windows, now);
  assert.ok(wait > 0 && wait <= 1000, `burst wait ${wait}`);
  const usage = await store.usage('k', windows, now);
  assert.deepEqual(
    usage.windows.map((w) => [w.name, w.used]),
    [
      ['burst', 3],
      ['steady', 3],
    ],
    'the refused call spent nothing from steady',
  );
  assert.ok(shapes.includes('3/1s') && shapes.includes('4/60s'));
});

test('rate-limiter-flexible store: block() holds the bucket, observe() charges calls made elsewhere', async () => {
  const store = new FlexibleRateBudgetStore();
  const windows = windowsFor({ burst: 10, steady: 10 }, 0);
  await store.block('blocked', Date.now() + 3000);
  const wait = await store.take('blocked', windows, Date.now());
  assert.ok(wait > 2000 && wait <= 3000, `blocked for ${wait}`);
  assert.equal(await store.take('other', windows, Date.now()), 0);
  await store.observe('other', windows, { remaining: 2 }, Date.now());
  const usage = await store.usage('other', windows, Date.now());
  assert.equal(usage.windows.find((w) => w.name === 'steady')?.used, 8);
});

test('the client runs on the rate-limiter-flexible store', async () => {
  const server = await startServer((_req, res) => json(res, 202, undefined));
  try {
    const time = virtualTime(Date.now());
    const client = createKlaviyoClient({
      baseUrl: server.baseUrl,
      auth: { kind: 'api_key', apiKey: 'pk_x' },
      budgetKey: 'flex',
      budgets: new FlexibleRateBudgetStore(),
      now: time.now,
      sleep: time.sleep,
    });
    await client.dataPrivacy.requestDeletion({ email: 'a@example.com' });
    const stats = await client.stats();
    assert.equal(server.requests.length, 1);
    assert.deepEqual(
      stats.tiers.map((t) => [t.tier, t.windows.map((w) => w.used)]),
      [['3/s:60/m', [1, 1]]],
    );
  } finally {
    await server.close();
  }
});
