// `klaviyo-sync sync`: manual sync from the command line (docs/api.md). Sends ids to the service's
// manual-sync route in chunks of at most 3,000 (the route's limit), follows the transfers the route answers
// until they finish, with a progress bar, and prints each record's outcome; with --debug, every logged step
// of each transfer; with --backfill, the records go as history (docs/flows.md).
import { readFile } from 'node:fs/promises';
import {
  ApiError,
  type ApiClient,
  type ConnectionFlags,
  createApiClient,
  resolveConnection,
} from '../api-client.ts';
import { chunk } from '../../domain/chunk.ts';
import { isFinishedState } from '../../domain/transfer-states.ts';
import { createProgress, type ProgressStream } from '../progress.ts';

export const MANUAL_SYNC_MAX_IDS = 3000;

export interface SyncOptions extends ConnectionFlags {
  subscription: string;
  collection: string;
  ids?: string;
  idsFile?: string;
  debug?: boolean;
  /** Send as history (docs/flows.md): events as backfill, consent as a historical import. */
  backfill?: boolean;
  wait?: boolean;
  /** Give up waiting after this many seconds (the transfers keep running in the service). */
  timeout?: number;
  json?: boolean;
  /** Say what a sync would do (create, update, skip, fail and why) and send nothing. */
  dryRun?: boolean;
  /** Dry run over the first n records of the collection's kind instead of --ids. */
  sample?: number;
  /** Dry run over every record of the collection's kind. */
  all?: boolean;
  /** false (--no-lookups): the dry run uses stored links only and asks Klaviyo nothing. */
  lookups?: boolean;
}

interface DryRunAnswer {
  collection: { name: string };
  records: number;
  truncated: boolean;
  counts: Record<'create' | 'update' | 'skip' | 'fail', number>;
  reasons: { outcome: string; code: string | null; reason: string; count: number; examples: string[] }[];
  klaviyo: { lookups: boolean; reads: number; writes: number };
}

export interface SyncIo {
  out: (line: string) => void;
  progressStream?: ProgressStream;
  env?: NodeJS.ProcessEnv;
  /** Pause between polls; tests pass a short one. */
  pollMs?: number;
}

export interface TransferRow {
  id: string;
  record_id: string;
  state: string;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  tracking_id: string;
}

interface Named {
  id: string;
  name: string;
}

type Page = { data: TransferRow[]; next_cursor: string | null };

/** Ids separated by commas, spaces or new lines; duplicates dropped, order kept. */
export function parseIds(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** Finds a subscription or collection by id, else by exact name, else by name ignoring case. */
function pick<T extends Named>(items: T[], wanted: string, what: string, where = ''): T {
  const found =
    items.find((i) => i.id === wanted) ??
    items.find((i) => i.name === wanted) ??
    items.find((i) => i.name.toLowerCase() === wanted.toLowerCase());
  if (!found) {
    const known = items.map((i) => `'${i.name}' (${i.id})`).join(', ') || 'none';
    throw new ApiError(0, 'NOT_FOUND', `No ${what} '${wanted}'${where}. Known: ${known}.`);
  }
  return found;
}

const transfersPath = (params: Record<string, string>) => `/api/v1/transfers?${new URLSearchParams(params)}`;

/** Most ids the transfer list takes in one `ids=` filter. */
const IDS_PER_READ = 500;

interface SyncAnswer {
  queued: number;
  transfer_ids: string[];
}

/** The transfers by id (the ones manual sync answered), read 500 at a time. */
async function readTransfers(client: ApiClient, transferIds: string[]): Promise<Map<string, TransferRow>> {
  const found = new Map<string, TransferRow>();
  for (const part of chunk(transferIds, IDS_PER_READ)) {
    const page = await client.request<Page>(
      'GET',
      transfersPath({ ids: part.join(','), limit: String(IDS_PER_READ) }),
    );
    for (const t of page.data) found.set(t.id, t);
  }
  return found;
}

async function readIdsFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ApiError(0, 'VALIDATION_FAILED', `Cannot read the ids file ${file}: ${reason}.`);
  }
}

export async function runSync(options: SyncOptions, io: SyncIo): Promise<TransferRow[]> {
  const source = options.idsFile ? await readIdsFile(options.idsFile) : (options.ids ?? '');
  const ids = parseIds(source);
  if (options.dryRun) {
    await runDryRun(options, ids, io);
    return [];
  }
  if (ids.length === 0) {
    throw new ApiError(0, 'VALIDATION_FAILED', 'Give the ids with --ids a,b,c or --ids-file <file>.');
  }
  const client = createApiClient(resolveConnection(options, io.env));
  const subscriptions = await client.listAll<Named>('/api/v1/subscriptions');
  const subscription = pick(subscriptions, options.subscription, 'subscription');
  const subscriptionPath = `/api/v1/subscriptions/${encodeURIComponent(subscription.id)}`;
  const collections = await client.request<{ data: Named[] }>('GET', `${subscriptionPath}/collections`);
  const collection = pick(collections.data, options.collection, 'collection', ` in '${subscription.name}'`);

  // The record each transfer carries; a record already waiting shares the waiting transfer.
  const recordOf = new Map<string, string>();
  for (const part of chunk(ids, MANUAL_SYNC_MAX_IDS)) {
    const answer = await client.request<SyncAnswer>('POST', `${subscriptionPath}/manual-sync`, {
      collection_id: collection.id,
      ids: part,
      debug: options.debug === true,
      backfill: options.backfill === true,
    });
    answer.transfer_ids.forEach((transferId, i) => {
      recordOf.set(transferId, part[i]);
    });
  }
  const transferIds = [...recordOf.keys()];
  io.out(
    `Queued ${ids.length} record${ids.length === 1 ? '' : 's'} through '${collection.name}' of ` +
      `'${subscription.name}'${options.debug ? ' (debug: ahead of the queue, every step logged)' : ''}` +
      `${options.backfill ? ' as a backfill (events recorded without triggering flows, consent as a historical import)' : ''}.`,
  );
  if (options.wait === false) return [];

  const deadline = Date.now() + (options.timeout ?? 600) * 1000;
  const progress = createProgress({ label: 'sync', total: transferIds.length, stream: io.progressStream });
  const states = new Map<string, TransferRow>();
  for (;;) {
    // Finished transfers are not read again: each poll asks only for those still going.
    const going = transferIds.filter((id) => !isFinishedState(states.get(id)?.state ?? ''));
    for (const [id, row] of await readTransfers(client, going)) states.set(id, row);
    const rows = [...states.values()];
    const done = rows.filter((t) => isFinishedState(t.state)).length;
    const failed = rows.filter((t) => t.state === 'failed' || t.state === 'dead').length;
    progress.update(done, failed ? `${failed} failed` : '');
    if (done >= transferIds.length) break;
    if (Date.now() > deadline) {
      progress.stop('still running');
      io.out(`Stopped waiting after ${options.timeout ?? 600}s; the transfers go on in the service.`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, io.pollMs ?? 500));
  }
  progress.stop();
  const rows = [...states.values()].sort((a, b) => Number(a.id) - Number(b.id));
  if (options.json) {
    io.out(JSON.stringify(rows));
    return rows;
  }
  for (const t of rows) {
    // A skipped transfer says why in its message alone, without a code.
    const error = t.error_code
      ? `  ${t.error_code}: ${t.error_message ?? ''}`
      : t.error_message
        ? `  ${t.error_message}`
        : '';
    io.out(`  ${t.record_id}  ${t.state}${error}  (transfer ${t.id})`);
    // A failure gets its permanent console address, to open or to paste in a ticket.
    if (t.state === 'failed' || t.state === 'dead') {
      io.out(`    ${client.baseUrl}/transfers/${encodeURIComponent(t.id)}`);
    }
    if (options.debug) await printSteps(client, t.id, io.out);
  }
  const missing = transferIds.filter((id) => !states.has(id)).map((id) => recordOf.get(id));
  if (missing.length > 0) io.out(`  no transfer found for: ${missing.join(', ')}`);
  const counts = new Map<string, number>();
  for (const t of rows) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  io.out([...counts].map(([state, n]) => `${state} ${n}`).join(', '));
  return rows;
}

const n = (value: number) => value.toLocaleString('en-US');

/** `sync --dry-run`: one call to the dry-run route, its answer in lines (or JSON). Sends nothing. */
async function runDryRun(options: SyncOptions, ids: string[], io: SyncIo): Promise<void> {
  const picked = [ids.length > 0, options.sample !== undefined, options.all === true].filter(Boolean).length;
  if (picked !== 1) {
    throw new ApiError(
      0,
      'VALIDATION_FAILED',
      'A dry run needs one of --ids/--ids-file, --sample <n> or --all.',
    );
  }
  if (ids.length > MANUAL_SYNC_MAX_IDS) {
    throw new ApiError(
      0,
      'VALIDATION_FAILED',
      `A dry run by ids takes at most ${n(MANUAL_SYNC_MAX_IDS)} ids (got ${n(ids.length)}); use --all or --sample.`,
    );
  }
  const client = createApiClient(resolveConnection(options, io.env));
  const subscriptions = await client.listAll<Named>('/api/v1/subscriptions');
  const subscription = pick(subscriptions, options.subscription, 'subscription');
  const subscriptionPath = `/api/v1/subscriptions/${encodeURIComponent(subscription.id)}`;
  const collections = await client.request<{ data: Named[] }>('GET', `${subscriptionPath}/collections`);
  const collection = pick(collections.data, options.collection, 'collection', ` in '${subscription.name}'`);
  const answer = await client.request<DryRunAnswer>('POST', `${subscriptionPath}/dry-run`, {
    collection_id: collection.id,
    ids: ids.length > 0 ? ids : undefined,
    sample: options.sample,
    all: options.all || undefined,
    lookups: options.lookups !== false,
  });
  if (options.json) {
    io.out(JSON.stringify(answer));
    return;
  }
  const c = answer.counts;
  io.out(
    `Dry run of '${answer.collection.name}' on ${n(answer.records)} record${answer.records === 1 ? '' : 's'}: ` +
      `nothing was sent.${answer.truncated ? ' (stopped at the cap; the counts are for these records)' : ''}`,
  );
  io.out(`  create ${n(c.create)}, update ${n(c.update)}, skip ${n(c.skip)}, fail ${n(c.fail)}`);
  for (const r of answer.reasons) {
    const more = r.count > r.examples.length ? `, … ${n(r.count - r.examples.length)} more` : '';
    io.out(
      `  ${r.outcome.padEnd(6)} ${n(r.count).padStart(5)}  ${r.code ? `${r.code}: ` : ''}${r.reason} ` +
        `(${r.examples.join(', ')}${more})`,
    );
  }
  io.out(
    answer.klaviyo.lookups
      ? `Klaviyo: ${n(answer.klaviyo.reads)} profile look-up${answer.klaviyo.reads === 1 ? '' : 's'} (reads), no writes.`
      : 'Klaviyo: not asked (--no-lookups: stored links only).',
  );
}

async function printSteps(client: ApiClient, transferId: string, out: (line: string) => void) {
  const detail = await client.request<{
    steps?: { at: string; kind: string; level: string; message: string; data?: unknown }[];
  }>('GET', `/api/v1/transfers/${encodeURIComponent(transferId)}`);
  for (const step of detail.steps ?? []) {
    const level = step.level && step.level !== 'info' ? ` (${step.level})` : '';
    out(`      ${step.at}  ${step.kind}${level}  ${step.message}`);
    if (step.data !== undefined && step.data !== null) {
      for (const line of JSON.stringify(step.data, null, 2).split('\n')) out(`        ${line}`);
    }
  }
}
