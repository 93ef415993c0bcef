// Load test of the Klaviyo flows (SPEC S6, issues 7 and 13): a backlog of changed customers (a share of them
// already in Klaviyo, unlinked) and orders of L lines is queued at once and drained into the sandbox with
// Klaviyo's real rate limits on, through the real store, hub, transfer engine, mapping engine, client (rate
// budgets on) and flows. Then one profile poll runs, to count what the drain would echo back into the hub.
// Reports drain time against the floor Klaviyo's limits allow for the data set, calls by operation, 429s as
// the sandbox counted them, peak RSS, and checks the sandbox: every profile once, every event once.
//
// Run: node bench/flows-load.ts                      both backlogs, each in a process of its own
//      node bench/flows-load.ts --backlog 20k|100k   one of them
//      node bench/flows-load.ts --customers N [--orders M] [--lines L] [--existing 0.25] [--time-scale 1]
//      [--database-url postgres://…]
// A time scale above 1 shortens the sandbox's rate windows n times; the client still budgets by Klaviyo's
// real windows, so the scale can only remove waits on the sandbox's side, never cause 429s.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { compileKeyedCollections, type FlowSubscription } from '../src/flows/shared/flow-deps.ts';
import { registerKlaviyoFlows } from '../src/flows/index.ts';
import { createProfilePoller } from '../src/flows/profile-to-customer/profile-poller.ts';
import { HubStore } from '../src/hub/store.ts';
import { createKlaviyoClient, endpoint, type KlaviyoClient, type RateTier } from '../src/klaviyo/index.ts';
import { sharedBudgetStore } from '../src/oauth/clients.ts';
import { DEFAULT_COLLECTIONS } from '../src/mapping/default-collections.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { Profile } from '../src/sandbox/state.ts';
import { openStore } from '../src/store/db.ts';
import { dropSchemaSql, migrate } from '../src/store/migrate.ts';
import { TransferEngine } from '../src/transfer/engine.ts';
import { FROM_HUB_FLOW, PROFILE_TO_CUSTOMER_FLOW } from '../src/transfer/flows.ts';
import { PollScheduler } from '../src/transfer/scheduler.ts';

const BACKLOGS: Record<string, { customers: number; orders: number; lines: number; existing: number }> = {
  '20k': { customers: 20_000, orders: 5_000, lines: 3, existing: 0.25 },
  '100k': { customers: 100_000, orders: 20_000, lines: 3, existing: 0.25 },
};

const { values: args } = parseArgs({
  options: {
    backlog: { type: 'string' },
    customers: { type: 'string' },
    orders: { type: 'string', default: '5000' },
    lines: { type: 'string', default: '3' },
    existing: { type: 'string', default: '0.25' },
    'time-scale': { type: 'string', default: '1' },
    /** PostgreSQL instead of the embedded SQLite (a schema of its own, dropped afterwards). */
    'database-url': { type: 'string' },
    /** With --database-url: drain with N worker processes sharing the store and the budgets. */
    workers: { type: 'string' },
  },
});
const chosen = args.backlog ? BACKLOGS[args.backlog] : undefined;
if (args.backlog && !chosen) throw new Error(`--backlog must be one of ${Object.keys(BACKLOGS).join(', ')}`);
const CUSTOMERS = chosen?.customers ?? Number(args.customers ?? 20_000);
const ORDERS = chosen?.orders ?? Number(args.orders);
const LINES = chosen?.lines ?? Number(args.lines);
const EXISTING = chosen?.existing ?? Number(args.existing);
const TIME_SCALE = Number(args['time-scale']);
const SUB = 'bench-sub';

/**
 * When the last of `n` calls can start under Klaviyo's fixed windows (burst per 1 s, steady per 60 s),
 * counted per endpoint as Klaviyo counts them: bursts of `burst` a second until `steady` are spent in the
 * minute, then the next minute.
 */
export function secondsToIssue(n: number, tier: RateTier): number {
  if (n <= 0) return 0;
  const minute = Math.floor((n - 1) / tier.steady);
  const inMinute = n - 1 - minute * tier.steady;
  return 60 * minute + Math.floor(inMinute / tier.burst);
}

/** The floor Klaviyo's limits allow for a data set: bulk jobs only, and with the ids read back. */
function floors(customers: number, events: number, bytesPerProfile: number) {
  const importSpec = endpoint('bulk_import_profiles');
  const eventSpec = endpoint('bulk_create_events');
  const lookupSpec = endpoint('get_profiles');
  const imports = Math.max(
    Math.ceil(customers / (importSpec.maxBatch ?? 10_000)),
    Math.ceil((customers * bytesPerProfile) / (importSpec.maxPayloadBytes ?? 5 * 2 ** 20)),
  );
  const eventJobs = Math.ceil(events / (eventSpec.maxBatch ?? 1000));
  // The service's linking: every profile not linked yet is looked up once, 100 a call.
  const lookups = Math.ceil(customers / (lookupSpec.maxPageSize ?? 100));
  const bulkOnly = Math.max(
    secondsToIssue(imports, importSpec.tier),
    secondsToIssue(eventJobs, eventSpec.tier),
  );
  const withLinking = Math.max(bulkOnly, secondsToIssue(lookups, lookupSpec.tier));
  return {
    note: 'last call start under Klaviyo fixed windows, per endpoint; job processing time not included',
    calls: { bulk_import_profiles: imports, bulk_create_events: eventJobs, get_profiles: lookups },
    bulkOnlySeconds: Math.max(1, bulkOnly),
    withLinkingSeconds: Math.max(1, withLinking),
  };
}

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

/** The service's parts the bench drives: hub, transfer engine and the Klaviyo flows, on one subscription. */
function buildService(store: ReturnType<typeof openStore>, client: KlaviyoClient, createdAt: string) {
  const subscription: FlowSubscription = {
    id: SUB,
    created_at: createdAt,
    generate_events: true,
    default_phone_country: 'US',
    create_missing_lists: false,
    backfill_window_hours: 24,
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
  const deps = {
    hub,
    links: engine.links,
    klaviyoFor: async () => client,
    collectionsFor: async () => collections,
    subscriptionFor: async () => subscription,
  };
  registerKlaviyoFlows(engine, deps);
  return { subscription, hub, engine, deps };
}

/**
 * A worker process of the PostgreSQL bench (`--workers N`): the same engine and flows on the shared store,
 * its budgets in PostgreSQL (as `klaviyo-sync worker` has them), until the parent sends SIGTERM.
 */
async function runEngineChild(spec: {
  databaseUrl: string;
  pgSchema: string;
  sandboxUrl: string;
  apiKey: string;
  budgetKey: string;
  createdAt: string;
}) {
  const store = openStore({ dataDir: tmpdir(), databaseUrl: spec.databaseUrl, pgSchema: spec.pgSchema });
  const client = createKlaviyoClient({
    baseUrl: spec.sandboxUrl,
    auth: { kind: 'api_key', apiKey: spec.apiKey },
    budgetKey: spec.budgetKey,
    budgets: sharedBudgetStore(store),
    concurrency: 10,
  });
  const { engine } = buildService(store, client, spec.createdAt);
  // Started only when the parent says so, so the drain's clock does not count process start-up.
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send?.('ready');
  });
  await engine.start();
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await engine.stop(1000);
  const stats = await client.stats();
  await store.close();
  process.stdout.write(
    `${JSON.stringify({ maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024), stats })}\n`,
  );
}

/** Both backlogs, each in a fresh process (so peak RSS is its own), then a short table. */
function runBoth() {
  const reports: Record<string, unknown>[] = [];
  for (const name of Object.keys(BACKLOGS)) {
    process.stderr.write(`\n=== backlog ${name}\n`);
    const extra = args['database-url'] ? ['--database-url', args['database-url']] : [];
    const child = spawnSync(process.execPath, [import.meta.filename, '--backlog', name, ...extra], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (child.status !== 0) process.exitCode = 1;
    try {
      reports.push({ backlog: name, ...JSON.parse(child.stdout) });
    } catch {
      reports.push({ backlog: name, failed: child.status ?? child.signal, output: child.stdout });
    }
  }
  const rows = reports.map((r) => {
    const x = r as Record<string, never> & {
      drainSeconds: number;
      floor: { bulkOnlySeconds: number; withLinkingSeconds: number };
      klaviyoCalls: { total: number; perRecord: number; sandbox429: number };
      peakRssMB: number;
      echo: { profileToCustomerQueued: number };
      checks: { ok: boolean };
    };
    if (!x.floor) return `${r.backlog}: failed`;
    return [
      `${r.backlog}: drained in ${x.drainSeconds} s`,
      `floor ${x.floor.bulkOnlySeconds} s bulk only (×${(x.drainSeconds / x.floor.bulkOnlySeconds).toFixed(1)}),`,
      `${x.floor.withLinkingSeconds} s with linking (×${(x.drainSeconds / x.floor.withLinkingSeconds).toFixed(1)});`,
      `${x.klaviyoCalls.total} calls (${x.klaviyoCalls.perRecord}/record), ${x.klaviyoCalls.sandbox429} × 429,`,
      `peak RSS ${x.peakRssMB} MB, ${x.echo.profileToCustomerQueued} echo transfers, checks ${x.checks.ok ? 'OK' : 'FAILED'}`,
    ].join(' ');
  });
  process.stdout.write(`${rows.join('\n')}\n\n${JSON.stringify(reports, null, 2)}\n`);
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

  // Calls are counted by the sandbox (by operation) and by the client's own stats, not by an exchange
  // hook: the hook makes the client copy and redact every body, which is work the service does not do.
  const client = createKlaviyoClient({
    baseUrl: sandbox.url,
    auth: { kind: 'api_key', apiKey: sandbox.apiKey },
    budgetKey: `bench-${sandbox.accountId}`,
    concurrency: 10,
  });
  const calls = {
    get total() {
      return sandboxCounts(sandbox).total;
    },
    byOperation: () =>
      Object.fromEntries(
        [...sandbox.state.requestCounts].map(([op, c]) => [op, c.count] as const).sort((a, b) => b[1] - a[1]),
      ),
  };
  const createdAt = new Date(Date.now() - 3600_000).toISOString();
  const { subscription, hub, engine, deps } = buildService(store, client, createdAt);

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

  const workers = Number(args.workers ?? 0);
  const children: ChildProcess[] = [];
  const childOutputs: string[] = [];
  if (workers > 0) {
    if (!databaseUrl || !pgSchema) throw new Error('--workers needs --database-url');
    const spec = {
      databaseUrl,
      pgSchema,
      sandboxUrl: sandbox.url,
      apiKey: sandbox.apiKey,
      budgetKey: `bench-${sandbox.accountId}`,
      createdAt,
    };
    for (let i = 0; i < workers; i++) {
      const child = spawn(process.execPath, [import.meta.filename], {
        env: { ...process.env, BENCH_ENGINE_CHILD: JSON.stringify(spec) },
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      let out = '';
      child.stdout?.on('data', (chunk) => {
        out += chunk;
      });
      child.on('exit', () => childOutputs.push(out));
      children.push(child);
    }
    await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
  }
  const start = Date.now();
  for (const child of children) child.send('go');
  if (workers === 0) await engine.start();
  let lastReport = 0;
  for (;;) {
    const pending = await engine.log.count({ subscription_id: SUB, states: ['queued', 'running'] });
    if (pending === 0) break;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      process.stderr.write(
        `  ${((Date.now() - start) / 1000).toFixed(0)} s: ${pending} pending, ${calls.total} Klaviyo calls, ${sandboxCounts(sandbox).rateLimited} × 429\n`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await sandbox.state.idle();
  const wallMs = Date.now() - start;
  await engine.stop(1000);
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGTERM');
        }),
    ),
  );
  const workerReports = childOutputs.flatMap((out) => {
    try {
      return [JSON.parse(out) as { maxRssMB: number; stats: { rateLimited: number } }];
    } catch {
      return [];
    }
  });
  const drainCalls = {
    total: calls.total,
    rateLimited:
      (await client.stats()).rateLimited + workerReports.reduce((n, w) => n + w.stats.rateLimited, 0),
    byOperation: calls.byOperation(),
  };
  const drainSandbox = sandboxCounts(sandbox);

  // One profile poll after the drain, the workers stopped: every Profile → Customer transfer it queues is
  // the drain echoing back (nothing else changed profiles meanwhile). Target 0.
  const pollStart = Date.now();
  const pollCallsBefore = calls.total;
  const scheduler = new PollScheduler({
    engine,
    subscriptions: {
      exists: async (id) => id === SUB,
      webhookKey: async () => null,
      polling: async () => [{ id: SUB, polling_interval_minutes: 1, created_at: subscription.created_at }],
    },
  });
  scheduler.register(createProfilePoller({ ...deps, db: store.db }));
  await scheduler.tick();
  const echo = {
    profileToCustomerQueued: await engine.log.count({ subscription_id: SUB, flow: PROFILE_TO_CUSTOMER_FLOW }),
    pollSeconds: +((Date.now() - pollStart) / 1000).toFixed(1),
    pollCalls: calls.total - pollCallsBefore,
  };

  // Checks: every record's outcome, profiles neither lost nor doubled, events neither lost nor doubled.
  const states: Record<string, number> = {};
  for (const state of ['succeeded', 'skipped', 'failed', 'dead', 'queued', 'running']) {
    states[state] = 0;
    for (const flow of [FROM_HUB_FLOW.customer, FROM_HUB_FLOW.transaction]) {
      states[state] += await engine.log.count({ subscription_id: SUB, flow, state: state as 'succeeded' });
    }
  }
  // What failed, by code, with one message each (a failure here fails the run).
  const failureRows = await store.db
    .selectFrom('transfers')
    .select(['flow', 'error_code', 'error_message'])
    .where('subscription_id', '=', SUB)
    .where('state', 'in', ['failed', 'dead'])
    .limit(50)
    .execute();
  const failures: Record<string, { count: number; flow: string; message: string | null }> = {};
  for (const row of failureRows) {
    const code = row.error_code ?? 'unknown';
    failures[code] ??= { count: 0, flow: row.flow, message: row.error_message };
    failures[code].count++;
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
  const emails = new Set<string>();
  for (const profile of account.profiles.byId.values()) if (profile.email) emails.add(profile.email);
  const eventKeys = new Set(account.events.map((e) => `${e.profileId}|${e.metricId}|${e.uniqueId}`));
  const uniqueIds = new Set(account.events.map((e) => `${e.metricId}|${e.uniqueId}`));
  const records = CUSTOMERS + ORDERS;
  const events = ORDERS * (1 + LINES);
  const floor = floors(CUSTOMERS, events, bytesPerProfile());
  const drainSeconds = +(wallMs / 1000).toFixed(1);
  const checks = {
    everyTransferSucceeded: states.succeeded === records,
    everyProfileOnce: account.profiles.size === CUSTOMERS && emails.size === CUSTOMERS,
    everyCustomerLinked: Number(profileLinks.n) === CUSTOMERS,
    everyEventOnce:
      account.events.length === events && eventKeys.size === events && uniqueIds.size === events,
    no429: drainSandbox.rateLimited === 0 && drainCalls.rateLimited === 0,
    noEcho: echo.profileToCustomerQueued === 0,
    ok: false,
  };
  checks.ok = Object.entries(checks).every(([name, value]) => name === 'ok' || value);
  const report = {
    date: new Date().toISOString(),
    settings: {
      customers: CUSTOMERS,
      orders: ORDERS,
      lines: LINES,
      preExistingProfiles: preExisting,
      timeScale: TIME_SCALE,
      store: databaseUrl ? 'postgresql' : 'sqlite',
      workerProcesses: workers || undefined,
    },
    queueSeconds: +(queueMs / 1000).toFixed(1),
    drainSeconds,
    floor,
    ratio: {
      toBulkOnlyFloor: +(drainSeconds / floor.bulkOnlySeconds).toFixed(1),
      toFloorWithLinking: +(drainSeconds / floor.withLinkingSeconds).toFixed(1),
    },
    transfers: states,
    failures,
    profiles: {
      inKlaviyo: account.profiles.size,
      distinctEmails: emails.size,
      expected: CUSTOMERS,
      linked: Number(profileLinks.n),
    },
    events: {
      placedOrder: metricCount('Placed Order'),
      orderedProduct: metricCount('Ordered Product'),
      expected: events,
      distinct: eventKeys.size,
      total: account.events.length,
    },
    klaviyoCalls: {
      total: drainCalls.total,
      perRecord: +(drainCalls.total / records).toFixed(4),
      answered429: drainCalls.rateLimited,
      sandboxCounted: drainSandbox.total,
      sandbox429: drainSandbox.rateLimited,
      byOperation: drainCalls.byOperation,
    },
    echo,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    workerPeakRssMB: workers ? workerReports.map((w) => w.maxRssMB) : undefined,
    peakRssNote: 'the whole process: service and the in-process sandbox holding the account',
    checks,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(
    checks.ok
      ? 'OK: nothing lost, nothing doubled, no 429, no echo\n'
      : `CHECK FAILED: ${Object.entries(checks)
          .filter(([, v]) => !v)
          .map(([k]) => k)
          .join(', ')}\n`,
  );
  await scheduler.stop();
  await sandbox.close();
  if (pgSchema) await sql.raw(dropSchemaSql(pgSchema)).execute(store.db);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = checks.ok ? 0 : 1;
}

function sandboxCounts(sandbox: {
  state: { requestCounts: Map<string, { count: number; rateLimited: number }> };
}) {
  let total = 0;
  let rateLimited = 0;
  for (const count of sandbox.state.requestCounts.values()) {
    total += count.count;
    rateLimited += count.rateLimited;
  }
  return { total, rateLimited };
}

/** A customer's profile payload as the default mapping makes it, in bytes (for the 5 MB job limit). */
function bytesPerProfile(): number {
  const c = customer(12_345);
  const a = c.addresses[0];
  return Buffer.byteLength(
    JSON.stringify({
      type: 'profile',
      attributes: {
        email: c.email_address,
        first_name: c.first_name,
        last_name: c.last_name,
        organization: c.company,
        phone_number: '+14152011234',
        location: {
          address1: a.address_1,
          city: a.city,
          region: a.region,
          country: a.country,
          zip: a.postal_code,
        },
      },
    }),
  );
}

if (process.env.BENCH_ENGINE_CHILD) await runEngineChild(JSON.parse(process.env.BENCH_ENGINE_CHILD));
else if (!args.backlog && !args.customers) runBoth();
else await main();
