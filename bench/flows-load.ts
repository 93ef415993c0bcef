// Load test of the Klaviyo flows (SPEC S6, issue 7): N changed customers and M orders of L lines are queued
// at once and drained into the sandbox with Klaviyo's real rate limits on, through the real store, hub,
// transfer engine, mapping engine, client (rate budgets on) and flows. Reports wall time, Klaviyo calls per
// record, 429s, and checks that no record is lost and no event doubled.
//
// Run: node bench/flows-load.ts [--customers 20000] [--orders 5000] [--lines 3] [--existing 0.25] [--time-scale 1]
//        [--database-url postgres://…]
// A time scale above 1 shortens the sandbox's rate windows n times; the client still budgets by Klaviyo's
// real windows, so the scale can only remove waits on the sandbox's side, never cause 429s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { compileKeyedCollections, type FlowSubscription } from '../src/flows/shared/flow-deps.ts';
import { registerKlaviyoFlows } from '../src/flows/index.ts';
import { HubStore } from '../src/hub/store.ts';
import { createKlaviyoClient, type ExchangeSummary } from '../src/klaviyo/index.ts';
import { DEFAULT_COLLECTIONS } from '../src/mapping/default-collections.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { Profile } from '../src/sandbox/state.ts';
import { openStore } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { TransferEngine } from '../src/transfer/engine.ts';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000' },
    orders: { type: 'string', default: '5000' },
    lines: { type: 'string', default: '3' },
    existing: { type: 'string', default: '0.25' },
    'time-scale': { type: 'string', default: '1' },
    /** PostgreSQL instead of the embedded SQLite (a schema of its own, dropped afterwards). */
    'database-url': { type: 'string' },
  },
});
const CUSTOMERS = Number(args.customers);
const ORDERS = Number(args.orders);
const LINES = Number(args.lines);
const EXISTING = Number(args.existing);
const TIME_SCALE = Number(args['time-scale']);
const SUB = 'bench-sub';

function customer(i: number) {
  return {
    id: `cust-${i}`,
    email_address: `customer${i}@example.com`,
    first_name: `First${i}`,
    last_name: `Last${i}`,
    company: i % 7 === 0 ? `Company ${i % 100}` : null,
    addresses: [
      {
        is_primary_billing: true,
        // Every third customer has a local phone, unique per customer (a shared phone would merge profiles).
        phone_number:
          i % 3 === 0 ? `(415) ${200 + Math.floor(i / 10_000)}-${String(i % 10_000).padStart(4, '0')}` : null,
        address_1: `${i} Main St`,
        city: 'San Francisco',
        region: 'CA',
        country: 'US',
        postal_code: '94105',
      },
    ],
  };
}

function order(i: number) {
  const buyer = (i * 4) % CUSTOMERS;
  return {
    id: `ord-${i}`,
    transaction_number: `#${100000 + i}`,
    customer_id: `cust-${buyer}`,
    email_address: `customer${buyer}@example.com`,
    status: 'processing',
    currency: 'USD',
    total: LINES * 19.5,
    created_datetime: new Date(Date.now() - (i % 1000) * 60_000).toISOString(),
    lines: Array.from({ length: LINES }, (_, n) => ({
      id: `line-${i}-${n}`,
      sku: `SKU-${n}`,
      description: `Product ${n}`,
      qty: 1 + n,
      unit_price: 19.5 / (1 + n),
      extended_price: 19.5,
      line_info: { category: n % 2 ? 'Shoes' : 'Hats' },
    })),
  };
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ks-bench-flows-'));
  const databaseUrl = args['database-url'];
  const pgSchema = databaseUrl ? `bench_flows_${process.pid}` : undefined;
  const store = openStore({ dataDir: dir, sqliteFile: 'bench.db', databaseUrl, pgSchema });
  await migrate(store);
  const sandbox = await startSandbox({ rateLimits: true, timeScale: TIME_SCALE });
  const account = sandbox.state.account();

  // A share of the customers already exist in Klaviyo (made directly in the sandbox, costing no budget):
  // they must be linked and updated, never duplicated.
  const existing = Math.floor(CUSTOMERS * EXISTING);
  for (let i = 0; i < existing; i++) {
    const profile = new Profile(`01EXIST${String(i).padStart(19, '0')}`, Date.now());
    profile.email = `customer${i * Math.max(1, Math.floor(1 / EXISTING))}@example.com`;
    if (account.profiles.find('email', profile.email)) continue;
    profile.first_name = 'Pre-existing';
    account.profiles.add(profile);
  }
  const preExisting = account.profiles.size;

  const calls = { total: 0, rateLimited: 0, byOperation: new Map<string, number>() };
  const client = createKlaviyoClient({
    baseUrl: sandbox.url,
    auth: { kind: 'api_key', apiKey: sandbox.apiKey },
    budgetKey: `bench-${sandbox.accountId}`,
    concurrency: 10,
    onExchange(exchange: ExchangeSummary) {
      calls.total++;
      if (exchange.status === 429) calls.rateLimited++;
      calls.byOperation.set(exchange.operationId, (calls.byOperation.get(exchange.operationId) ?? 0) + 1);
    },
  });
  const subscription: FlowSubscription = {
    id: SUB,
    created_at: new Date(Date.now() - 3600_000).toISOString(),
    generate_events: true,
    default_phone_country: 'US',
    create_missing_lists: false,
  };
  const collections = compileKeyedCollections(DEFAULT_COLLECTIONS, { id: SUB, default_phone_country: 'US' });
  const hub = new HubStore(store);
  const engine = new TransferEngine({
    store,
    hub,
    flowSettings: {
      subscriptionsWithScope: async (_db, scope) =>
        ['customer/created', 'customer/updated', 'transaction/created', 'transaction/updated'].includes(scope)
          ? [SUB]
          : [],
    },
    concurrency: 4,
  });
  registerKlaviyoFlows(engine, {
    hub,
    links: engine.links,
    klaviyoFor: async () => client,
    collectionsFor: async () => collections,
    subscriptionFor: async () => subscription,
  });

  // Queue everything at once, before the workers start.
  const queueStart = Date.now();
  for (let i = 0; i < CUSTOMERS; i += 1000) {
    await hub.upsertMany(
      'customer',
      Array.from({ length: Math.min(1000, CUSTOMERS - i) }, (_, k) => customer(i + k)),
    );
  }
  for (let i = 0; i < ORDERS; i += 500) {
    await hub.upsertMany(
      'transaction',
      Array.from({ length: Math.min(500, ORDERS - i) }, (_, k) => order(i + k)),
    );
  }
  const queued = await engine.log.count({ subscription_id: SUB, state: 'queued' });
  const queueMs = Date.now() - queueStart;
  process.stderr.write(`queued ${queued} transfers in ${(queueMs / 1000).toFixed(1)} s; draining…\n`);

  const start = Date.now();
  await engine.start();
  let lastReport = 0;
  for (;;) {
    const pending = await engine.log.count({ subscription_id: SUB, states: ['queued', 'running'] });
    if (pending === 0) break;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      process.stderr.write(
        `  ${((Date.now() - start) / 1000).toFixed(0)} s: ${pending} pending, ${calls.total} Klaviyo calls, ${calls.rateLimited} × 429\n`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await sandbox.state.idle();
  const wallMs = Date.now() - start;
  await engine.stop(1000);

  // Checks: every record's outcome, profiles neither lost nor doubled, events neither lost nor doubled.
  const states: Record<string, number> = {};
  for (const state of ['succeeded', 'skipped', 'failed', 'dead', 'queued', 'running']) {
    states[state] = await engine.log.count({ subscription_id: SUB, state: state as 'succeeded' });
  }
  const profileLinks = await store.db
    .selectFrom('links')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('table_name', '=', 'customer')
    .executeTakeFirstOrThrow();
  const metricCount = (name: string) => {
    const metric = account.metricsByName.get(name);
    return metric ? account.events.filter((event) => event.metricId === metric.id).length : 0;
  };
  const eventKeys = new Set(account.events.map((e) => `${e.profileId}|${e.metricId}|${e.uniqueId}`));
  let sandbox429 = 0;
  let sandboxCalls = 0;
  for (const count of account ? sandbox.state.requestCounts.values() : []) {
    sandboxCalls += count.count;
    sandbox429 += count.rateLimited;
  }
  const records = CUSTOMERS + ORDERS;
  const events = ORDERS * (1 + LINES);
  const perRecordMinutes = CUSTOMERS / 750 + events / 3500;
  const report = {
    settings: {
      customers: CUSTOMERS,
      orders: ORDERS,
      lines: LINES,
      preExistingProfiles: preExisting,
      timeScale: TIME_SCALE,
      store: databaseUrl ? 'postgresql' : 'sqlite',
    },
    queueSeconds: +(queueMs / 1000).toFixed(1),
    wallSeconds: +(wallMs / 1000).toFixed(1),
    transfers: states,
    profiles: { inKlaviyo: account.profiles.size, expected: CUSTOMERS, linked: Number(profileLinks.n) },
    events: {
      placedOrder: metricCount('Placed Order'),
      orderedProduct: metricCount('Ordered Product'),
      expected: events,
      distinct: eventKeys.size,
      total: account.events.length,
    },
    klaviyoCalls: {
      total: calls.total,
      perRecord: +(calls.total / records).toFixed(4),
      answered429: calls.rateLimited,
      sandboxCounted: sandboxCalls,
      sandbox429,
      byOperation: Object.fromEntries([...calls.byOperation].sort((a, b) => b[1] - a[1])),
    },
    perRecordCeiling: {
      note: 'one call per record: profiles at 750 writes/min (L tier), events at 3,500/min (XL tier)',
      minutes: +perRecordMinutes.toFixed(1),
      speedup: +((perRecordMinutes * 60) / (wallMs / 1000)).toFixed(1),
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const ok =
    states.succeeded === records &&
    account.profiles.size === CUSTOMERS &&
    Number(profileLinks.n) === CUSTOMERS &&
    account.events.length === events &&
    eventKeys.size === events &&
    calls.rateLimited === 0;
  process.stderr.write(
    ok ? 'OK: nothing lost, nothing doubled, no 429\n' : 'CHECK FAILED (see the report)\n',
  );
  await sandbox.close();
  if (pgSchema) await sql`DROP SCHEMA ${sql.id(pgSchema)} CASCADE`.execute(store.db);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = ok ? 0 : 1;
}

await main();
