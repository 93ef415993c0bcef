// The steps the record handlers take around their own work: read the subscription's settings and
// collections, get its Klaviyo client (or fail the whole batch with the cause), group the batch by record
// so two queued transfers of one record share one outcome, and at shutdown leave abort-caused failures to
// the queue.
import type { HubKind } from '../../domain/hub.ts';
import type { HubStore } from '../../hub/store.ts';
import type { KlaviyoClient } from '../../klaviyo/index.ts';
import type { FlowContext, Outcome, Transfer } from '../../transfer/types.ts';
import { type FlowDeps, type FlowSubscription, loadFlowSubscription, mappingContextOf } from './flow-deps.ts';
import { outcomeForError } from './outcomes.ts';

type BatchContext = Pick<FlowContext, 'db' | 'subscriptionId'>;

/** The settings of the batch's subscription (tests and the bench may hand them in). */
export function subscriptionForBatch(
  deps: Pick<FlowDeps, 'subscriptionFor'>,
  ctx: BatchContext,
): Promise<FlowSubscription> {
  return (deps.subscriptionFor ?? loadFlowSubscription)(ctx.db, ctx.subscriptionId);
}

/** The subscription's settings, its enabled compiled collections, and the context its mappings run in. */
export async function settingsForBatch(
  deps: Pick<FlowDeps, 'subscriptionFor' | 'collectionsFor'>,
  ctx: BatchContext,
) {
  const subscription = await subscriptionForBatch(deps, ctx);
  const collections = await deps.collectionsFor(ctx.db, ctx.subscriptionId);
  return { subscription, collections, mappingContext: { subscription: mappingContextOf(subscription) } };
}

/** The subscription's client; without one every transfer of the batch takes the failure and it is undefined. */
export async function clientForBatch(
  deps: Pick<FlowDeps, 'klaviyoFor'>,
  ctx: Pick<FlowContext, 'subscriptionId'>,
  batch: readonly Transfer[],
  outcomes: Map<string, Outcome>,
  doing = 'connecting to Klaviyo',
): Promise<KlaviyoClient | undefined> {
  try {
    return await deps.klaviyoFor(ctx.subscriptionId);
  } catch (error) {
    const outcome = outcomeForError(error, doing);
    for (const transfer of batch) outcomes.set(transfer.id, outcome);
    return undefined;
  }
}

/**
 * One entry per hub record, in batch order, made by `entryFor` from the first transfer; later transfers of
 * the record join it. A transfer whose record is gone from the hub is skipped with `goneReason`.
 */
export function groupByRecord<R, E extends { transfers: Transfer[] }>(
  batch: readonly Transfer[],
  records: ReadonlyMap<string, R>,
  outcomes: Map<string, Outcome>,
  goneReason: string | ((recordId: string) => string),
  entryFor: (transfer: Transfer, record: R) => E,
): Map<string, E> {
  const entries = new Map<string, E>();
  for (const transfer of batch) {
    const known = entries.get(transfer.record_id);
    if (known) {
      known.transfers.push(transfer);
      continue;
    }
    const record = records.get(transfer.record_id);
    if (record === undefined) {
      const reason = typeof goneReason === 'string' ? goneReason : goneReason(transfer.record_id);
      outcomes.set(transfer.id, { status: 'skipped', reason });
      continue;
    }
    entries.set(transfer.record_id, entryFor(transfer, record));
  }
  return entries;
}

/**
 * Why a record a transfer names is not in the hub: deleted since it was queued (`deletedReason`), or never
 * there at all (a manual sync of a mistyped id), which the message says plainly.
 */
export async function missingRecordReason(
  hub: HubStore,
  kind: HubKind,
  ids: readonly string[],
  found: ReadonlyMap<string, unknown>,
  deletedReason: string,
): Promise<(recordId: string) => string> {
  const missing = ids.filter((id) => !found.has(id));
  const deleted = missing.length > 0 ? await hub.deletedIds(kind, missing) : new Set<string>();
  return (recordId) =>
    deleted.has(recordId) ? deletedReason : `No ${kind} with id '${recordId}' exists in the hub.`;
}

/** At shutdown, failures caused by the abort are not the records' fault: leave them to the queue. */
export function leaveAbortFailuresToQueue(outcomes: Map<string, Outcome>, signal: AbortSignal): void {
  if (!signal.aborted) return;
  for (const [id, outcome] of outcomes) if (outcome.status === 'failed') outcomes.delete(id);
}
