// The demo: a Klaviyo sandbox and the whole service in this process, signed in, with a sandbox
// subscription using the default mappings, fed with the generated sample data through the same API a
// user would call — then watched until every transfer has finished. What a newcomer sees in five minutes.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createService, type Service } from '../app.ts';
import { type ApiClient, createApiClient } from './api-client.ts';
import { createProgress, type ProgressStream } from './progress.ts';
import { loadConfig } from '../config.ts';
import { DEFAULT_REVISION } from '../klaviyo/index.ts';
import { type Sandbox, startSandbox } from '../sandbox/index.ts';
import { DEFAULT_SEED, generateSampleData, NEWSLETTER_LIST, type SampleData } from '../demo/sample-data.ts';

export interface DemoOptions {
  /** Service port (default KLAVIYO_SYNC_PORT or 3000; 0 picks a free one). */
  port?: number;
  /** Sandbox port (default a free one). */
  sandboxPort?: number;
  /** Where the demo's store lives (default a fresh temporary folder, removed on close). */
  dataDir?: string;
  seed?: string;
  customers?: number;
  orders?: number;
  out: (line: string) => void;
  progressStream?: ProgressStream;
  env?: NodeJS.ProcessEnv;
  pollMs?: number;
  /** Stop waiting for the drain after this long (the transfers go on). */
  drainTimeoutMs?: number;
}

export interface DrainResult {
  /** From the first import until no transfer was queued or running. */
  ms: number;
  drained: boolean;
  states: Record<string, number>;
}

export interface DemoHandle {
  sandbox: Sandbox;
  service: Service;
  baseUrl: string;
  adminPassword: string;
  apiToken: string;
  subscriptionId: string;
  data: SampleData;
  drain: DrainResult;
  dataDir: string;
  close(): Promise<void>;
}

export const DEMO_SUBSCRIPTION_NAME = 'Demo store (sandbox)';

/**
 * The default mappings carry no custom fields (each shop names its own); the demo maps the sample
 * data's consent and loyalty fields so the sandbox shows subscriptions, list members and a property.
 */
export const DEMO_CUSTOM_FIELD_MAPPINGS = [
  { destination: 'SubscribeProfile', type: 'dynamic_formula', formula: '$customField("SubscribeProfile")' },
  {
    destination: `LIST_${NEWSLETTER_LIST}`,
    type: 'dynamic_formula',
    formula: `$customField("LIST_${NEWSLETTER_LIST}")`,
  },
  {
    destination: 'custom_fields.Loyalty Tier',
    type: 'dynamic_formula',
    formula: '$customField("Loyalty Tier")',
  },
] as const;

const COLLECTION_INPUT_FIELDS = [
  'name',
  'type',
  'direction',
  'sync_type',
  'parent_id',
  'mapping_filter',
  'error_filter',
  'error_message',
  'collision_handling',
  'enabled',
  'sort_order',
  'description',
  'mappings',
] as const;

/** Adds the demo's custom-field mappings to the subscription's Customer → Profile collections. */
async function mapDemoCustomFields(api: ApiClient, subscriptionId: string): Promise<number> {
  const { data } = await api.request<{ data: Record<string, unknown>[] }>(
    'GET',
    `/api/v1/subscriptions/${encodeURIComponent(subscriptionId)}/collections`,
  );
  let changed = 0;
  for (const collection of data) {
    if (collection.type !== 'customer' || collection.direction !== 'from_hub') continue;
    const input = Object.fromEntries(COLLECTION_INPUT_FIELDS.map((k) => [k, collection[k]]));
    const mappings = (collection.mappings as { destination: string }[]) ?? [];
    const missing = DEMO_CUSTOM_FIELD_MAPPINGS.filter(
      (m) => !mappings.some((x) => x.destination === m.destination),
    );
    // Stored mappings may carry more than the input accepts (ids, order); resend only the input fields.
    const keep = ['destination', 'type', 'value', 'source', 'formula', 'table', 'default', 'description'];
    const asInput = (m: object) => Object.fromEntries(Object.entries(m).filter(([k]) => keep.includes(k)));
    input.mappings = [...mappings.map(asInput), ...missing];
    await api.request('PUT', `/api/v1/collections/${encodeURIComponent(String(collection.id))}`, input);
    changed++;
  }
  return changed;
}
const n = (value: number) => value.toLocaleString('en-US');
const STATES = ['queued', 'running', 'succeeded', 'skipped', 'failed', 'dead'];

async function transferStates(service: Service): Promise<Record<string, number>> {
  const rows = await service.ctx.store.db
    .selectFrom('transfers')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  const states: Record<string, number> = Object.fromEntries(STATES.map((s) => [s, 0]));
  for (const row of rows) states[row.state] = Number(row.n);
  return states;
}

/** The sandbox account gets the list the sample data's LIST_Newsletter field subscribes to. */
async function createSandboxList(sandbox: Sandbox, name: string): Promise<void> {
  const response = await fetch(`${sandbox.url}/api/lists`, {
    method: 'POST',
    headers: {
      authorization: `Klaviyo-API-Key ${sandbox.apiKey}`,
      revision: DEFAULT_REVISION,
      accept: 'application/vnd.api+json',
      'content-type': 'application/vnd.api+json',
    },
    body: JSON.stringify({ data: { type: 'list', attributes: { name } } }),
  });
  if (!response.ok) throw new Error(`the sandbox refused to create list '${name}' (${response.status})`);
}

export async function runDemo(options: DemoOptions): Promise<DemoHandle> {
  const out = options.out;
  const env = options.env ?? process.env;
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-demo-'));
  const adminPassword = randomBytes(12).toString('base64url');
  const data = generateSampleData({
    seed: options.seed ?? DEFAULT_SEED,
    customers: options.customers,
    orders: options.orders,
  });

  const sandbox = await startSandbox({ port: options.sandboxPort ?? 0 });
  const cleanup: (() => Promise<void>)[] = [
    () => sandbox.close(),
    async () => {
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  ];
  const close = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
  };
  try {
    const config = loadConfig({
      ...env,
      KLAVIYO_SYNC_PORT: String(options.port ?? (env.KLAVIYO_SYNC_PORT || 3000)),
      KLAVIYO_SYNC_DATA_DIR: dataDir,
      KLAVIYO_SYNC_ADMIN_PASSWORD: adminPassword,
      KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1',
      // The demo owns a fresh store: a database or key of the surrounding environment must not leak in.
      DATABASE_URL: undefined,
      KLAVIYO_SYNC_SECRET_KEY: undefined,
    });
    // The service's JSON log goes to a file so the terminal shows the demo's progress.
    const logFile = path.join(dataDir, 'service.log');
    const logStream = createWriteStream(logFile, { flags: 'a' });
    const service = await createService(config, { logStream, onSetupLink: () => {} });
    cleanup.push(async () => {
      await service.stop();
      await new Promise((resolve) => logStream.end(resolve));
    });
    const baseUrl = await service.start();
    out(`Sandbox (a Klaviyo-compatible API in memory): ${sandbox.url}`);
    out(`Service: ${baseUrl}  (log: ${logFile})`);

    // Everything below goes through the REST API, as a user's script would.
    const session = createApiClient({ baseUrl, adminPassword });
    const { token: apiToken } = await session.request<{ token: string }>('POST', '/api/v1/tokens', {
      name: 'demo',
    });
    const api = createApiClient({ baseUrl, token: apiToken });
    await createSandboxList(sandbox, NEWSLETTER_LIST);
    const subscription = await api.request<{ id: string; status: string; account_name?: string | null }>(
      'POST',
      '/api/v1/subscriptions',
      {
        name: DEMO_SUBSCRIPTION_NAME,
        api_url: sandbox.url,
        api_key: sandbox.apiKey,
        create_default_mappings: true,
      },
    );
    out(
      `Subscription '${DEMO_SUBSCRIPTION_NAME}': ${subscription.status}` +
        (subscription.account_name ? ` to Klaviyo account '${subscription.account_name}'` : ''),
    );
    await mapDemoCustomFields(api, subscription.id);
    out(
      `Sample data (seed '${data.seed}'): ${data.customers.length.toLocaleString('en-US')} customers, ` +
        `${data.products.length} products, ${data.transactions.length.toLocaleString('en-US')} orders; ` +
        `${data.invalidPhones.length} customers have a broken phone number on purpose.`,
    );

    const started = Date.now();
    for (const [kind, records] of [
      ['customers', data.customers],
      ['products', data.products],
      ['transactions', data.transactions],
    ] as const) {
      const progress = createProgress({
        label: `import ${kind}`,
        total: records.length,
        stream: options.progressStream,
      });
      let sent = 0;
      async function* lines() {
        // Chunks of lines keep the stream flowing without one write per record.
        for (let i = 0; i < records.length; i += 200) {
          const slice = records.slice(i, i + 200);
          sent += slice.length;
          progress.update(sent);
          yield `${slice.map((r) => JSON.stringify(r)).join('\n')}\n`;
        }
      }
      const report = await api.importNdjson(kind, lines());
      progress.stop(`${n(report.accepted)} accepted, ${n(report.rejectedCount)} rejected`);
      if (report.rejectedCount > 0) {
        const first = report.rejected[0];
        throw new Error(
          `the service rejected ${report.rejectedCount} ${kind}; first: line ${first?.line} ${first?.message}`,
        );
      }
    }

    const drain = await waitForDrain(service, {
      started,
      pollMs: options.pollMs ?? 250,
      timeoutMs: options.drainTimeoutMs ?? 15 * 60_000,
      progressStream: options.progressStream,
    });
    const s = drain.states;
    out(
      drain.drained
        ? `All transfers finished in ${(drain.ms / 1000).toFixed(1)} s after the first import.`
        : `Stopped watching after ${(drain.ms / 1000).toFixed(0)} s; the transfers go on.`,
    );
    out(
      `Transfers: ${n(s.succeeded)} succeeded, ${n(s.failed)} failed, ${n(s.dead)} dead, ${n(s.skipped)} skipped, ` +
        `${n(s.queued + s.running)} still queued or running.`,
    );
    const account = sandbox.state.account(sandbox.accountId);
    out(
      `The sandbox account now holds ${n(account.profiles.size)} profiles and ${n(account.events.length)} events.`,
    );
    const consent = { SUBSCRIBED: 0, UNSUBSCRIBED: 0 } as Record<string, number>;
    for (const profile of account.profiles.byId.values()) {
      const state = profile.consents?.emailMarketing?.consent;
      if (state) consent[state] = (consent[state] ?? 0) + 1;
    }
    const newsletter = [...account.lists.values()].find((l) => l.name === NEWSLETTER_LIST);
    out(
      `Email marketing: ${n(consent.SUBSCRIBED)} subscribed, ${n(consent.UNSUBSCRIBED)} unsubscribed ` +
        `(SubscribeProfile and LIST_${NEWSLETTER_LIST}); list '${NEWSLETTER_LIST}': ${n(newsletter?.members.size ?? 0)} members.`,
    );
    if (s.failed + s.dead > 0) {
      out(
        `The ${n(s.failed + s.dead)} failures are customers whose broken phone number was their only identifier: ` +
          'the console’s transfer log shows each one with its steps.',
      );
    }
    return {
      sandbox,
      service,
      baseUrl,
      adminPassword,
      apiToken,
      subscriptionId: (subscription as { id: string }).id,
      data,
      drain,
      dataDir,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function waitForDrain(
  service: Service,
  options: { started: number; pollMs: number; timeoutMs: number; progressStream?: ProgressStream },
): Promise<DrainResult> {
  const progress = createProgress({ label: 'transfers', unit: 'transfers', stream: options.progressStream });
  let states = await transferStates(service);
  let quietPolls = 0;
  for (;;) {
    states = await transferStates(service);
    const total = STATES.reduce((sum, state) => sum + states[state], 0);
    const active = states.queued + states.running;
    progress.setTotal(total);
    progress.update(
      total - active,
      states.failed + states.dead > 0 ? `${states.failed + states.dead} failed` : '',
    );
    // Two quiet polls in a row: a transfer finishing can queue a follow-up in between.
    quietPolls = active === 0 ? quietPolls + 1 : 0;
    const ms = Date.now() - options.started;
    if (quietPolls >= 2) {
      progress.stop();
      return { ms, drained: true, states };
    }
    if (ms > options.timeoutMs) {
      progress.stop('still running');
      return { ms, drained: false, states };
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
