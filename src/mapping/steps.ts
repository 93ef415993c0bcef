// The parts of a compiled collection: each mapping becomes a step that reads a value (directly, through
// the formula fast lane, or through JSONata — yielding only then) and writes it to the payload, a
// custom-field action or the hub record's custom fields. engine.ts strings the steps together.
import type {
  CollectionSpec,
  CustomFieldAction,
  MappingInput,
  SubscriptionMappingContext,
} from '../domain/collections.ts';
import { AppError, type ErrorCode } from '../domain/errors.ts';
import { type CustomFieldTarget, customFieldAction, customFieldTarget } from './destinations.ts';
import {
  type CompiledFormula,
  compileFormula,
  type FormulaState,
  FormulaSyntaxError,
  toPlain,
} from './formula.ts';
import { compileNative, FALLBACK, type NativeFormula } from './native.ts';
import { compileSourcePath, PathSyntaxError, parseDestinationPath, writePath } from './paths.ts';

export type Value = Generator<Promise<unknown>, unknown, unknown>;

export interface Step {
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

export interface Output {
  payload: Record<string, unknown>;
  actions: CustomFieldAction[];
  hubCustomFields: { custom_field_name: string; value: unknown }[];
}

export class StepError extends Error {
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
export interface EngineFormula {
  compiled: CompiledFormula;
  native?: NativeFormula;
}

export function compileFormulaAt(text: string, field: string, what: string): EngineFormula {
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

export function compileRead(
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

export function compileWrite(
  collection: Pick<CollectionSpec, 'type' | 'direction'>,
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

export function* runFilter(
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
