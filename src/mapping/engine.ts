// The mapping engine: a collection is compiled once into a function from a source record (with its parent
// and subscription) to an outcome — a destination payload plus custom-field actions, a skip naming the
// filter, or a failure with a stable error code. The steps are written once, as a generator that yields
// only when a formula must be awaited: collections of Static, Field and Lookup mappings run synchronously
// (no promise per record), the others through the same code awaited step by step.
import type {
  CollectionSpec,
  CollectionType,
  CustomFieldAction,
  Direction,
  MappingInput,
  SubscriptionMappingContext,
  SyncType,
} from '../domain/collections.ts';
import { AppError, type ErrorCode } from '../domain/errors.ts';
import { type CustomFieldTarget, childItems, customFieldAction, customFieldTarget } from './destinations.ts';
import {
  type CompiledFormula,
  compileFormula,
  type FormulaState,
  FormulaSyntaxError,
  toPlain,
} from './formula.ts';
import { compileNative, FALLBACK, type NativeFormula } from './native.ts';
import { compileSourcePath, PathSyntaxError, parseDestinationPath, writePath } from './paths.ts';

/** A collection as the engine needs it: its spec, an id when stored, and its child collections. */
export interface CollectionTree
  extends Pick<CollectionSpec, 'name' | 'type' | 'direction' | 'sync_type' | 'mappings'>,
    Partial<Pick<CollectionSpec, 'mapping_filter' | 'error_filter' | 'error_message' | 'enabled'>> {
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
  /** True when no formula is involved: `map` then answers without a promise. */
  readonly isSync: boolean;
  readonly children: readonly CompiledCollection[];
  map(record: unknown, context?: MapContext): MappingOutcome | Promise<MappingOutcome>;
  mapAsync(record: unknown, context?: MapContext): Promise<MappingOutcome>;
}

type Value = Generator<Promise<unknown>, unknown, unknown>;

interface Step {
  index: number;
  destination: string;
  field: string;
  /** Reads the value without the formula engine (Static, Field, Lookup by path). */
  readNow?: Reader;
  /** Reads the value through a formula, yielding while it is awaited. */
  readLater?: (record: unknown, state: FormulaState) => Value;
  write(out: Output, value: unknown): void;
  /** Whether the value is read without the formula engine (for ordinary records). */
  sync: boolean;
}

interface Output {
  payload: Record<string, unknown>;
  actions: CustomFieldAction[];
  hubCustomFields: { custom_field_name: string; value: unknown }[];
}

class StepError extends Error {
  readonly code: ErrorCode;
  readonly field: string;
  constructor(code: ErrorCode, message: string, field: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

function compileError(code: ErrorCode, message: string, field: string): AppError {
  return new AppError(code, message, { field });
}

/** A formula with its fast lane, when it has one (see native.ts). */
interface EngineFormula {
  compiled: CompiledFormula;
  native?: NativeFormula;
}

function compileFormulaAt(text: string, field: string, what: string): EngineFormula {
  try {
    return { compiled: compileFormula(text), native: compileNative(text) };
  } catch (error) {
    if (error instanceof FormulaSyntaxError) {
      throw compileError('MAPPING_FORMULA_INVALID', `${what} does not parse: ${error.message}`, field);
    }
    throw error;
  }
}

type Reader = (record: unknown, state: FormulaState) => unknown;

/** Field paths read the record, or `$parent.…` / `$subscription.…` when they start so. */
export function compileFieldReader(source: string): Reader {
  const scoped = /^\$(parent|subscription)(?:\.(.+))?$/.exec(source.trim());
  if (scoped) {
    const rest = scoped[2] ? compileSourcePath(scoped[2]) : (v: unknown) => v;
    return scoped[1] === 'parent' ? (_r, s) => rest(s.parent) : (_r, s) => rest(s.subscription);
  }
  const read = compileSourcePath(source);
  return (record) => read(record);
}

function failed(error: unknown, field: string): StepError {
  const message = (error as { message?: string })?.message ?? String(error);
  return new StepError('MAPPING_FORMULA_FAILED', message, field);
}

// Yields only when JSONata must run: a formula in the fast lane completes without a promise.
function* evaluateFormula(
  formula: EngineFormula,
  record: unknown,
  state: FormulaState,
  field: string,
): Value {
  if (formula.native) {
    const warningsBefore = state.warnings.length;
    let value: unknown;
    try {
      value = formula.native(record, state);
    } catch (error) {
      throw failed(error, field);
    }
    if (value !== FALLBACK) return toPlain(value);
    state.warnings.length = warningsBefore; // JSONata runs the helpers again
  }
  try {
    return yield formula.compiled.evaluate(record, state);
  } catch (error) {
    throw failed(error, field);
  }
}

function lookupIn(table: Record<string, unknown>, hasDefault: boolean, fallback: unknown) {
  const loose = new Map<string, unknown>();
  for (const [k, v] of Object.entries(table)) {
    const key = k.trim().toLowerCase();
    if (!loose.has(key)) loose.set(key, v);
  }
  return (key: unknown): unknown => {
    if (key !== undefined && key !== null) {
      const text = String(key);
      if (Object.hasOwn(table, text)) return table[text];
      const found = loose.get(text.trim().toLowerCase());
      if (found !== undefined || loose.has(text.trim().toLowerCase())) return found;
    }
    return hasDefault ? fallback : undefined;
  };
}

function compileRead(
  mapping: MappingInput,
  index: number,
): Pick<Step, 'readNow' | 'readLater' | 'field' | 'sync'> {
  const at = `mappings[${index}]`;
  switch (mapping.type) {
    case 'static': {
      const value = mapping.value;
      return { field: `${at}.value`, sync: true, readNow: () => value };
    }
    case 'field': {
      const read = fieldReaderAt(mapping.source, `${at}.source`);
      return { field: `${at}.source`, sync: true, readNow: read };
    }
    case 'dynamic_formula': {
      const field = `${at}.formula`;
      const formula = compileFormulaAt(
        mapping.formula,
        field,
        `The formula of mapping '${mapping.destination}'`,
      );
      return { field, sync: !!formula.native, readLater: (r, s) => evaluateFormula(formula, r, s, field) };
    }
    case 'lookup_translation': {
      const translate = lookupIn(mapping.table, Object.hasOwn(mapping, 'default'), mapping.default);
      if (mapping.formula) {
        const field = `${at}.formula`;
        const formula = compileFormulaAt(
          mapping.formula,
          field,
          `The key formula of mapping '${mapping.destination}'`,
        );
        return {
          field,
          sync: !!formula.native,
          readLater: function* (r, s) {
            return translate(yield* evaluateFormula(formula, r, s, field));
          },
        };
      }
      if (!mapping.source) {
        throw compileError(
          'VALIDATION_FAILED',
          'A lookup translation needs a source path or a formula',
          `${at}.source`,
        );
      }
      const read = fieldReaderAt(mapping.source, `${at}.source`);
      return { field: `${at}.source`, sync: true, readNow: (r, s) => translate(read(r, s)) };
    }
  }
}

function fieldReaderAt(source: string, field: string): Reader {
  try {
    return compileFieldReader(source);
  } catch (error) {
    if (error instanceof PathSyntaxError) {
      throw compileError(
        'VALIDATION_FAILED',
        `Path '${source}' is not valid at column ${error.column}: ${error.message}`,
        field,
      );
    }
    throw error;
  }
}

function compileWrite(
  collection: CollectionTree,
  mapping: MappingInput,
  index: number,
  subscription: SubscriptionMappingContext | undefined,
): Step['write'] {
  const destination = mapping.destination;
  const field = `mappings[${index}].destination`;
  if (collection.direction === 'from_hub' && collection.type === 'customer') {
    const target: CustomFieldTarget | undefined = customFieldTarget(destination, subscription?.custom_fields);
    if (target) {
      return (out, value) => {
        let action: CustomFieldAction | undefined;
        try {
          action = customFieldAction(destination, target, value);
        } catch (error) {
          throw new StepError(
            'VALIDATION_FAILED',
            `Custom field '${destination}' ${(error as Error).message}`,
            field,
          );
        }
        if (action) out.actions.push(action);
      };
    }
  }
  if (collection.direction === 'to_hub' && destination.startsWith('custom_fields.')) {
    const name = destination.slice('custom_fields.'.length).trim();
    return (out, value) => {
      out.hubCustomFields.push({ custom_field_name: name, value: value ?? null });
    };
  }
  let names: string[];
  try {
    names = parseDestinationPath(destination);
  } catch (error) {
    throw compileError(
      'MAPPING_UNKNOWN_FIELD',
      `Destination '${destination}': ${(error as Error).message}`,
      field,
    );
  }
  return (out, value) => writePath(out.payload, names, value);
}

function* runFilter(
  formula: EngineFormula | undefined,
  record: unknown,
  state: FormulaState,
  field: string,
): Generator<Promise<unknown>, boolean | undefined, unknown> {
  if (!formula) return undefined;
  const result = yield* evaluateFormula(formula, record, state, field);
  if (typeof result !== 'boolean') {
    throw new StepError(
      'MAPPING_FILTER_NOT_BOOLEAN',
      `The ${field === 'mapping_filter' ? 'mapping' : 'error'} filter returned ${JSON.stringify(result) ?? 'nothing'}, not true or false`,
      field,
    );
  }
  return result;
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
    isSync,
    children,
    map,
    mapAsync: async (record, context = {}) => map(record, context),
  };
}
