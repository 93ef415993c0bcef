// The mapping engine: a collection is compiled once into a function from a source record (with its parent
// and subscription) to an outcome — a destination payload plus custom-field actions, a skip naming the
// filter, or a failure with a stable error code. The steps are written once, as a generator that yields
// only when a formula must be awaited: collections of Static, Field and Lookup mappings run synchronously
// (no promise per record), the others through the same code awaited step by step.
import type {
  CollectionSpec,
  CollectionType,
  CollisionHandling,
  CustomFieldAction,
  Direction,
  SubscriptionMappingContext,
  SyncType,
} from '../domain/collections.ts';
import { AppError } from '../domain/errors.ts';
import { childItems } from './destinations.ts';
import type { FormulaState } from './formula.ts';
import {
  compileFormulaAt,
  compileRead,
  compileWrite,
  type Output,
  runFilter,
  type Step,
  StepError,
} from './steps.ts';

export interface CollectionTree
  extends Pick<CollectionSpec, 'name' | 'type' | 'direction' | 'sync_type' | 'mappings'>,
    Partial<
      Pick<
        CollectionSpec,
        'mapping_filter' | 'error_filter' | 'error_message' | 'enabled' | 'collision_handling'
      >
    > {
  id?: string;
  children?: CollectionTree[];
}

export interface MapContext {
  parent?: unknown;
  subscription?: SubscriptionMappingContext;
  /** Position of a child item in its parent's list (0-based), as `$itemIndex` in formulas. */
  itemIndex?: number;
}

export interface ChildOutcome {
  collection_id?: string;
  name: string;
  type: CollectionType;
  items: MappingOutcome[];
}

export type MappingOutcome =
  | {
      status: 'mapped';
      payload: Record<string, unknown>;
      actions: CustomFieldAction[];
      warnings: string[];
      children: ChildOutcome[];
    }
  | { status: 'skipped'; reason: string; warnings: string[] }
  | { status: 'failed'; error: AppError; warnings: string[] };

export interface CompiledCollection {
  readonly id?: string;
  readonly name: string;
  readonly type: CollectionType;
  readonly direction: Direction;
  readonly syncType: SyncType;
  /** What an Add meets when the record already exists on the other side (absent in hand-built trees). */
  readonly collisionHandling?: CollisionHandling;
  /** True when no formula is involved: `map` then answers without a promise. */
  readonly isSync: boolean;
  readonly children: readonly CompiledCollection[];
  map(record: unknown, context?: MapContext): MappingOutcome | Promise<MappingOutcome>;
  mapAsync(record: unknown, context?: MapContext): Promise<MappingOutcome>;
}

const IDENTIFIERS = ['email', 'phone_number', 'external_id'];

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Checks what Klaviyo would refuse anyway, so the record fails here with a plain message. */
function finish(collection: CollectionTree, out: Output): MappingOutcome | undefined {
  const { type, direction } = collection;
  if (direction === 'from_hub' && (type === 'transaction' || type === 'transaction_line')) {
    if (isBlank(out.payload.metric)) {
      return {
        status: 'skipped',
        reason: `Collection '${collection.name}' gave no event name (metric)`,
        warnings: [],
      };
    }
    if (out.payload.properties === undefined || out.payload.properties === null) out.payload.properties = {};
  }
  if (direction === 'from_hub' && type === 'customer' && collection.sync_type === 'add') {
    if (IDENTIFIERS.every((k) => isBlank(out.payload[k]))) {
      return {
        status: 'failed',
        warnings: [],
        error: new AppError(
          'MAPPING_REQUIRED_FIELD_MISSING',
          `Collection '${collection.name}' produced no email, phone number or external id: Klaviyo needs one of them to create a profile`,
          { field: 'email' },
        ),
      };
    }
  }
  if (out.hubCustomFields.length > 0) out.payload.custom_fields = out.hubCustomFields;
  return undefined;
}

/** Compiles a collection (and its children). Throws AppError when a formula or path cannot compile. */
export function compileCollection(
  collection: CollectionTree,
  options: { subscription?: SubscriptionMappingContext } = {},
): CompiledCollection {
  const steps: Step[] = collection.mappings.map((mapping, index) => ({
    index,
    destination: mapping.destination,
    ...compileRead(mapping, index),
    write: compileWrite(collection, mapping, index, options.subscription),
  }));
  const mappingFilter = collection.mapping_filter
    ? compileFormulaAt(collection.mapping_filter, 'mapping_filter', 'The mapping filter')
    : undefined;
  const errorFilter = collection.error_filter
    ? compileFormulaAt(collection.error_filter, 'error_filter', 'The error filter')
    : undefined;
  const children = (collection.children ?? [])
    .filter((c) => c.enabled !== false)
    .map((child) => compileCollection(child, options));
  const isSync =
    (!mappingFilter || !!mappingFilter.native) &&
    (!errorFilter || !!errorFilter.native) &&
    steps.every((s) => s.sync) &&
    children.every((c) => c.isSync);

  function* run(record: unknown, context: MapContext): Generator<Promise<unknown>, MappingOutcome, unknown> {
    const state: FormulaState = {
      parent: context.parent,
      subscription: context.subscription ?? options.subscription,
      itemIndex: context.itemIndex,
      warnings: [],
    };
    const { warnings } = state;
    try {
      if ((yield* runFilter(mappingFilter, record, state, 'mapping_filter')) === false) {
        const reason = `Skipped by the mapping filter of collection '${collection.name}': ${collection.mapping_filter}`;
        return { status: 'skipped', reason, warnings };
      }
      if ((yield* runFilter(errorFilter, record, state, 'error_filter')) === true) {
        const message =
          collection.error_message ||
          `Refused by the error filter of collection '${collection.name}': ${collection.error_filter}`;
        return {
          status: 'failed',
          warnings,
          error: new AppError('MAPPING_ERROR_FILTER', message, { field: 'error_filter' }),
        };
      }
      const out: Output = { payload: {}, actions: [], hubCustomFields: [] };
      for (const step of steps) {
        const value = step.readNow
          ? step.readNow(record, state)
          : yield* (step.readLater as NonNullable<Step['readLater']>)(record, state);
        if (value === undefined) continue;
        step.write(out, value);
      }
      const rejected = finish(collection, out);
      if (rejected) return { ...rejected, warnings: [...warnings, ...rejected.warnings] };
      const childOutcomes: ChildOutcome[] = [];
      for (const child of children) {
        const items = childItems(collection.type, collection.direction, record);
        const outcomes: MappingOutcome[] = [];
        for (let i = 0; i < items.length; i++) {
          const childContext: MapContext = { parent: record, subscription: state.subscription, itemIndex: i };
          const result = child.map(items[i], childContext);
          outcomes.push(result instanceof Promise ? ((yield result) as MappingOutcome) : result);
        }
        childOutcomes.push({ collection_id: child.id, name: child.name, type: child.type, items: outcomes });
      }
      return {
        status: 'mapped',
        payload: out.payload,
        actions: out.actions,
        warnings,
        children: childOutcomes,
      };
    } catch (error) {
      if (error instanceof StepError) {
        const step = steps.find(
          (s) => s.field === error.field || error.field.startsWith(`mappings[${s.index}]`),
        );
        const where = step
          ? `Mapping '${step.destination}' (${error.field})`
          : `Collection '${collection.name}'`;
        const appError = new AppError(error.code, `${where}: ${error.message}`, {
          field: error.field,
          details: { collection: collection.name },
        });
        return { status: 'failed', warnings, error: appError };
      }
      throw error;
    }
  }

  // Answers at once when no step had to wait for JSONata; otherwise continues asynchronously.
  function map(record: unknown, context: MapContext = {}): MappingOutcome | Promise<MappingOutcome> {
    const gen = run(record, context);
    const step = gen.next();
    return step.done ? step.value : finishAsync(gen, step);
  }

  async function finishAsync(
    gen: Generator<Promise<unknown>, MappingOutcome, unknown>,
    first: IteratorResult<Promise<unknown>, MappingOutcome>,
  ): Promise<MappingOutcome> {
    let step = first;
    while (!step.done) {
      let resolved: unknown;
      try {
        resolved = await step.value;
      } catch (error) {
        step = gen.throw(error);
        continue;
      }
      step = gen.next(resolved);
    }
    return step.value;
  }

  return {
    id: collection.id,
    name: collection.name,
    type: collection.type,
    direction: collection.direction,
    syncType: collection.sync_type,
    collisionHandling: collection.collision_handling,
    isSync,
    children,
    map,
    mapAsync: async (record, context = {}) => map(record, context),
  };
}
