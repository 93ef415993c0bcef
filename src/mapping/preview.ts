// Preview (docs/mappings.md, docs/api.md): run a stored collection on a hub record or a Klaviyo profile — given inline or
// by id — and show what would be sent, without sending anything. A child collection previews every
// child item of the parent record it is given.
import type { Collection, CollectionType, SubscriptionMappingContext } from '../domain/collections.ts';
import { PreviewInput } from '../domain/collections.ts';
import { AppError } from '../domain/errors.ts';
import type { HubKind } from '../domain/hub.ts';
import { childItems } from './destinations.ts';
import { type CollectionTree, compileCollection, type MappingOutcome } from './engine.ts';
import { profileSourceRecord } from './samples.ts';

export interface PreviewSources {
  /** A hub record by kind and id, or null. */
  hubRecord?(kind: HubKind, id: string): Promise<unknown | null>;
  /** A Klaviyo profile resource by id (throws when it cannot be read). */
  klaviyoProfile?(id: string): Promise<unknown>;
}

export interface PreviewAnswer {
  payload?: Record<string, unknown>;
  actions?: unknown[];
  skipped?: string;
  warnings: string[];
  children?: unknown[];
  /** For a child collection: the outcome for each child item of the given parent record. */
  items?: unknown[];
}

const HUB_KIND_OF: Record<CollectionType, HubKind> = {
  customer: 'customer',
  customer_address: 'customer',
  transaction: 'transaction',
  transaction_line: 'transaction',
  product: 'product',
  product_variant: 'product',
};

const PARENT_TYPE_OF: Partial<Record<CollectionType, CollectionType>> = {
  customer_address: 'customer',
  transaction_line: 'transaction',
  product_variant: 'product',
};

function describeOutcome(outcome: MappingOutcome): PreviewAnswer {
  if (outcome.status === 'skipped') return { skipped: outcome.reason, warnings: outcome.warnings };
  if (outcome.status === 'failed') throw outcome.error;
  return {
    payload: outcome.payload,
    actions: outcome.actions,
    warnings: outcome.warnings,
    children: outcome.children.map((c) => ({
      collection_id: c.collection_id,
      name: c.name,
      items: c.items.map((i) => summarize(i)),
    })),
  };
}

function summarize(outcome: MappingOutcome): unknown {
  if (outcome.status === 'failed') return { error: outcome.error.toJSON().error, warnings: outcome.warnings };
  if (outcome.status === 'skipped') return { skipped: outcome.reason, warnings: outcome.warnings };
  return { payload: outcome.payload, actions: outcome.actions, warnings: outcome.warnings };
}

async function loadRecord(
  collection: Collection,
  recordId: string,
  sources: PreviewSources,
): Promise<unknown> {
  if (collection.direction === 'to_hub') {
    if (collection.type !== 'customer' && collection.type !== 'customer_address') {
      throw new AppError(
        'VALIDATION_FAILED',
        'Only Klaviyo profiles can be previewed by id; give the record inline',
        {
          field: 'record_id',
        },
      );
    }
    if (!sources.klaviyoProfile)
      throw new AppError('VALIDATION_FAILED', 'Klaviyo is not reachable here', { field: 'record_id' });
    return profileSourceRecord(await sources.klaviyoProfile(recordId));
  }
  const kind = HUB_KIND_OF[collection.type];
  const record = sources.hubRecord ? await sources.hubRecord(kind, recordId) : null;
  if (!record)
    throw new AppError('RECORD_NOT_FOUND', `No ${kind} with id '${recordId}'.`, { field: 'record_id' });
  return record;
}

/** Runs a collection (with its children) on a record and answers what would be sent. */
export async function previewCollection(
  collection: Collection,
  children: readonly CollectionTree[],
  body: unknown,
  subscription: SubscriptionMappingContext,
  sources: PreviewSources,
): Promise<PreviewAnswer> {
  const parsed = PreviewInput.safeParse(body);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', 'Give {"record": {…}} or {"record_id": "…"}', {
      field: 'record',
    });
  }
  const input = parsed.data;
  const compiled = compileCollection({ ...collection, children: [...children] }, { subscription });
  const parentType = PARENT_TYPE_OF[collection.type];
  if ('record' in input) {
    const record = collection.direction === 'to_hub' ? profileSourceRecord(input.record) : input.record;
    // A TO-hub address item is the profile itself, so the profile is its own parent.
    const parent = input.parent ?? (parentType && collection.direction === 'to_hub' ? record : undefined);
    return describeOutcome(
      await compiled.mapAsync(record, { parent, subscription, itemIndex: parent ? 0 : undefined }),
    );
  }
  const record = await loadRecord(collection, input.record_id, sources);
  if (!parentType) return describeOutcome(await compiled.mapAsync(record, { subscription }));
  // A child collection given an id previews every child item of that parent record.
  const items = childItems(parentType, collection.direction, record);
  const outcomes: MappingOutcome[] = [];
  for (let i = 0; i < items.length; i++) {
    outcomes.push(await compiled.mapAsync(items[i], { parent: record, subscription, itemIndex: i }));
  }
  const first = outcomes[0];
  const answer = first
    ? describeOutcomeSafe(first)
    : { warnings: [], skipped: 'The record has no child items' };
  return { ...answer, items: outcomes.map(summarize) };
}

function describeOutcomeSafe(outcome: MappingOutcome): PreviewAnswer {
  if (outcome.status === 'failed') return { warnings: outcome.warnings };
  return describeOutcome(outcome);
}
