// `klaviyo-sync status`: the subscriptions with their connection status, the queue depth per transfer
// state, and the most recent failures. It reads the store directly (the same KLAVIYO_SYNC_DATA_DIR or
// DATABASE_URL as the service), read-only, so it answers whether or not the service is running — the
// moment an operator most needs it — and needs no API token: reaching the database is the permission.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { type Config, loadConfig } from '../../config.ts';
import { openStore, type Store } from '../../store/db.ts';
import { emptyStateCounts, TRANSFER_STATES } from '../../domain/transfer-states.ts';

export interface StatusReport {
  store: string;
  subscriptions: {
    id: string;
    name: string;
    status: string;
    status_message: string | null;
    account_name: string | null;
    paused: string | null;
    queue: Record<string, number>;
  }[];
  queue: Record<string, number>;
  failures: {
    id: string;
    subscription_id: string;
    record_kind: string;
    record_id: string;
    state: string;
    attempts: number;
    error_code: string | null;
    error_message: string | null;
    updated_at: string;
  }[];
}

export interface StatusOptions {
  failures?: number;
  json?: boolean;
  /** Overrides for tests; the CLI uses the environment. */
  config?: Config;
}

export class StatusError extends Error {}

/** Where the store is, with no password. */
export function describeStore(config: Config): string {
  if (config.databaseUrl) {
    const url = new URL(config.databaseUrl);
    // Only host and database: the URL may carry a password.
    return `PostgreSQL ${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
  }
  return `SQLite ${path.resolve(config.dataDir, 'klaviyo-sync.db')}`;
}

const MISSING_TABLE = /no such table|relation .* does not exist/i;

/**
 * A store that cannot be opened or reached, in one line that says what to check. The driver's own words
 * (e.g. "connect ECONNREFUSED 127.0.0.1:5432", "database \"x\" does not exist") carry no password.
 */
export function describeStoreFailure(error: unknown, where: string): string {
  const e = error as { code?: string; message?: string };
  const reason = e.message || e.code || String(error);
  const check = where.startsWith('PostgreSQL')
    ? 'check DATABASE_URL (host, port, database, user and password) and that the server runs'
    : 'check KLAVIYO_SYNC_DATA_DIR and the rights on that folder';
  return `Cannot open ${where} (${reason}): ${check}.`;
}

async function readReport(store: Store, where: string, failureLimit: number): Promise<StatusReport> {
  try {
    await sql<{ n: number }>`select count(*) as n from subscriptions`.execute(store.db);
  } catch (error) {
    // Only a missing table means a store the service never started on; anything else is a store that
    // cannot be reached, and "start the service once" would send the user the wrong way.
    if (MISSING_TABLE.test((error as Error).message ?? '')) {
      throw new StatusError(
        `${where} holds no klaviyo-sync data yet: start the service once (klaviyo-sync start).`,
      );
    }
    throw new StatusError(describeStoreFailure(error, where));
  }
  const subscriptions = await store.db
    .selectFrom('subscriptions')
    .select(['id', 'name', 'status', 'status_message', 'account_name'])
    .orderBy('name')
    .execute();
  const pauses = await store.db
    .selectFrom('transfer_pauses')
    .select(['subscription_id', 'message'])
    .execute();
  const depth = await store.db
    .selectFrom('transfers')
    .select(['subscription_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['subscription_id', 'state'])
    .execute();
  const failures = await store.db
    .selectFrom('transfers')
    .select([
      'id',
      'subscription_id',
      'record_kind',
      'record_id',
      'state',
      'attempts',
      'error_code',
      'error_message',
      'updated_at',
    ])
    .where('state', 'in', ['failed', 'dead'])
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(failureLimit)
    .execute();

  const emptyQueue = (): Record<string, number> => emptyStateCounts();
  const total = emptyQueue();
  const perSubscription = new Map<string, Record<string, number>>();
  for (const row of depth) {
    const n = Number(row.n);
    total[row.state] = (total[row.state] ?? 0) + n;
    const queue = perSubscription.get(row.subscription_id) ?? emptyQueue();
    queue[row.state] = (queue[row.state] ?? 0) + n;
    perSubscription.set(row.subscription_id, queue);
  }
  const paused = new Map(pauses.map((p) => [p.subscription_id, p.message]));
  return {
    store: where,
    subscriptions: subscriptions.map((s) => ({
      ...s,
      paused: paused.get(s.id) ?? null,
      queue: perSubscription.get(s.id) ?? emptyQueue(),
    })),
    queue: total,
    failures: failures.map((f) => ({ ...f, id: String(f.id) })),
  };
}

export async function collectStatus(options: StatusOptions = {}): Promise<StatusReport> {
  const config = options.config ?? loadConfig();
  const where = describeStore(config);
  if (!config.databaseUrl && !existsSync(path.resolve(config.dataDir, 'klaviyo-sync.db'))) {
    throw new StatusError(
      `No klaviyo-sync data at ${path.resolve(config.dataDir)}: run this where the service runs, or set ` +
        'KLAVIYO_SYNC_DATA_DIR (or DATABASE_URL) as the service has it.',
    );
  }
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await readReport(store, where, options.failures ?? 10);
  } finally {
    await store.close();
  }
}

// Every count in one format, thousands separated, as the progress lines write them.
const count = (n: number) => n.toLocaleString('en-US');
const pad = (text: string, width: number) =>
  text.length >= width ? text : text + ' '.repeat(width - text.length);
const oneLine = (text: string | null, max = 160) => {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

export function formatStatus(report: StatusReport): string[] {
  const lines = [`Store: ${report.store}`, '', 'Subscriptions'];
  if (report.subscriptions.length === 0) {
    lines.push('  none yet — add one in the console, or try everything with `klaviyo-sync demo`');
  }
  const nameWidth = Math.min(40, Math.max(4, ...report.subscriptions.map((s) => s.name.length)));
  for (const s of report.subscriptions) {
    const account = s.account_name ? ` to ${s.account_name}` : '';
    // When connected, the message only repeats the account name; otherwise it says what is wrong.
    const note = s.paused
      ? ` — paused: ${oneLine(s.paused)}`
      : s.status_message && s.status !== 'connected'
        ? ` — ${oneLine(s.status_message)}`
        : '';
    lines.push(`  ${pad(s.name, nameWidth)}  ${s.status}${account}${note}  (id ${s.id})`);
    const q = s.queue;
    lines.push(
      `  ${pad('', nameWidth)}  ${TRANSFER_STATES.map((state) => `${state} ${count(q[state] ?? 0)}`).join(', ')}`,
    );
  }
  lines.push('', 'Queue (all subscriptions)');
  lines.push(`  ${TRANSFER_STATES.map((state) => `${state} ${count(report.queue[state] ?? 0)}`).join('  ')}`);
  lines.push('', 'Recent failures');
  if (report.failures.length === 0) lines.push('  none');
  for (const f of report.failures) {
    lines.push(
      `  ${f.updated_at}  ${f.state} after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}  ` +
        `${f.record_kind} ${f.record_id}  ${f.error_code ?? ''}  (transfer ${f.id})`,
    );
    if (f.error_message) lines.push(`    ${oneLine(f.error_message)}`);
  }
  return lines;
}

export async function runStatus(options: StatusOptions, out: (line: string) => void): Promise<StatusReport> {
  const report = await collectStatus(options);
  if (options.json) out(JSON.stringify(report, null, 2));
  else for (const line of formatStatus(report)) out(line);
  return report;
}

/**
 * What `klaviyo-sync start` prints when the service has no subscription yet (issue 9: the first start
 * says how to add one, and how to try everything with the sandbox). Empty once a subscription exists.
 */
export async function firstStartHints(store: Store, consoleUrl: string): Promise<string[]> {
  const row = await store.db
    .selectFrom('subscriptions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(row.n) > 0) return [];
  return [
    'No Klaviyo subscription yet.',
    `  To connect your Klaviyo account: open ${consoleUrl}, sign in, and add a subscription with a private`,
    '  API key (Klaviyo: Settings > Account > API Keys > Create Private API Key, full access) or with OAuth.',
    '  To try everything first, with no Klaviyo account: npm run demo (a local Klaviyo sandbox, sample',
    '  customers and orders, about 5 seconds).',
  ];
}
