import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { openStore } from '../../src/store/db.ts';
import { sharedBudgetStore } from '../../src/oauth/clients.ts';
import { migrate, dropSchemaSql } from '../../src/store/migrate.ts';
import {
  acquireRefreshLease,
  releaseRefreshLease,
  replaceOAuthTokens,
  storeRefreshedTokens,
} from '../../src/store/repositories/oauth.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

test('`klaviyo-sync migrate` creates the SQLite store, and a second run finds it up to date', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-migrate-'));
  try {
    const env = { ...process.env, KLAVIYO_SYNC_DATA_DIR: dir, DATABASE_URL: '' };
    const first = await run(process.execPath, [path.join(root, 'src/cli/main.ts'), 'migrate'], { env });
    assert.match(first.stdout, /Applied \d+ migration\(s\)/);
    assert.match(first.stdout, /0001_core/);
    const second = await run(process.execPath, [path.join(root, 'src/cli/main.ts'), 'migrate'], { env });
    assert.match(second.stdout, /up to date/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function leaseScenario(store: ReturnType<typeof openStore>) {
  await migrate(store);
  const now = Date.now();
  await sql`INSERT INTO subscriptions (id, name, version, api_url, generate_events, throttle_limit, throttle_seconds, hub_throttle_limit, hub_throttle_seconds, concurrent_connections, webhook_key_enc, polling_interval_minutes, auth_method, status, created_at, updated_at) VALUES ('s1', 'S', 'v1.0', 'https://a.klaviyo.com', 1, 1, 1, 1, 1, 1, 'x', 5, 'oauth', 'connected', 'now', 'now')`.execute(
    store.db,
  );
  const write = {
    accessTokenEnc: 'a',
    refreshTokenEnc: 'r',
    accessTokenLast4: 'a',
    refreshTokenLast4: 'r',
    expiresAt: now + 1000,
    issuedAt: now,
    scope: null,
  };
  await replaceOAuthTokens(store.db, 's1', write);
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => acquireRefreshLease(store.db, 's1', `owner-${i}`, now, 60_000)),
  );
  assert.equal(results.filter(Boolean).length, 1, 'exactly one holder of the lease');
  const holder = `owner-${results.indexOf(true)}`;
  assert.equal(
    await acquireRefreshLease(store.db, 's1', 'late', now + 61_000, 60_000),
    true,
    'an expired lease can be taken over',
  );
  await releaseRefreshLease(store.db, 's1', holder);
  // The generation check keeps a stale holder from overwriting a newer rotation.
  assert.equal(await storeRefreshedTokens(store.db, 's1', 1, write), true);
  assert.equal(await storeRefreshedTokens(store.db, 's1', 1, write), false);
}

test('the refresh lease is exclusive and rotation writes are generation-checked (SQLite)', async () => {
  const store = openStore({ dataDir: '', sqliteFile: ':memory:' });
  try {
    await leaseScenario(store);
  } finally {
    await store.close();
  }
});

test('the refresh lease is exclusive and rotation writes are generation-checked (PostgreSQL)', {
  skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set',
}, async () => {
  const pgSchema = `test_${randomBytes(6).toString('hex')}`;
  const store = openStore({ dataDir: '', databaseUrl: process.env.TEST_DATABASE_URL, pgSchema });
  try {
    await leaseScenario(store);
    assert.deepEqual(await migrate(store), [], 'migrating again does nothing');
  } finally {
    await sql.raw(dropSchemaSql(pgSchema)).execute(store.db);
    await store.close();
  }
});

test('on PostgreSQL two processes spend one shared Klaviyo budget', {
  skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set',
}, async () => {
  const pgSchema = `test_${randomBytes(6).toString('hex')}`;
  const a = openStore({ dataDir: '', databaseUrl: process.env.TEST_DATABASE_URL, pgSchema });
  const b = openStore({ dataDir: '', databaseUrl: process.env.TEST_DATABASE_URL, pgSchema });
  try {
    await migrate(a);
    const budgetA = sharedBudgetStore(a);
    const budgetB = sharedBudgetStore(b);
    assert.ok(budgetA && budgetB);
    const windows = [{ name: 'steady' as const, limit: 3, windowMs: 60_000 }];
    const waits: number[] = [];
    for (let i = 0; i < 6; i++)
      waits.push(await (i % 2 ? budgetA : budgetB).take('acct:tier', windows, Date.now()));
    assert.equal(waits.filter((w) => w === 0).length, 3, `waits ${waits.join(',')}`);
    const sqlite = openStore({ dataDir: '', sqliteFile: ':memory:' });
    assert.equal(sharedBudgetStore(sqlite), undefined, 'SQLite keeps budgets in memory');
    await sqlite.close();
  } finally {
    await sql.raw(dropSchemaSql(pgSchema)).execute(a.db);
    await a.close();
    await b.close();
  }
});

test('several processes migrating one fresh PostgreSQL schema at once all succeed', {
  skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set',
}, async () => {
  const pgSchema = `test_${randomBytes(6).toString('hex')}`;
  const stores = Array.from({ length: 4 }, () =>
    openStore({ dataDir: '', databaseUrl: process.env.TEST_DATABASE_URL, pgSchema }),
  );
  try {
    const applied = await Promise.all(stores.map((s) => migrate(s)));
    assert.equal(
      applied.filter((names) => names.length > 0).length,
      1,
      'one process applies, the others find it done',
    );
  } finally {
    await sql.raw(dropSchemaSql(pgSchema)).execute(stores[0].db);
    for (const s of stores) await s.close();
  }
});

test('on PostgreSQL the fixed-window budget table nothing reads is dropped; the sliding-window one stays', {
  skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set',
}, async () => {
  const pgSchema = `test_${randomBytes(6).toString('hex')}`;
  const store = openStore({ dataDir: '', databaseUrl: process.env.TEST_DATABASE_URL, pgSchema });
  try {
    await migrate(store);
    const tables = await sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables
      WHERE table_schema = ${pgSchema} AND table_name LIKE 'klaviyo_rate_budget%' ORDER BY table_name`.execute(
      store.db,
    );
    assert.deepEqual(
      tables.rows.map((r) => r.table_name),
      ['klaviyo_rate_budget_windows'],
    );
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(pgSchema)} CASCADE`.execute(store.db);
    await store.close();
  }
});
