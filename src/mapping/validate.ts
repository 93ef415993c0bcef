// Validation on save (docs/mappings.md): a collection is refused, with the exact place and reason, when a
// destination is not a field of its kind, a path or formula does not parse, a filter does not answer
// true/false on a sample record, a child has no (fitting) parent, or a second Add collection would make
// the choice between them ambiguous. Every refusal is an AppError (400) whose `field` names the mapping.
import type { z } from 'zod';
import {
  CHILD_TYPE_OF,
  CHILD_TYPES,
  CollectionInput,
  type CollectionSpec,
  type CollectionType,
  type Direction,
  type MappingInput,
  type SubscriptionMappingContext,
  type SyncType,
} from '../domain/collections.ts';
import { AppError } from '../domain/errors.ts';
import { customFieldTarget, destinationTree, isKnownDestination, sourceFields } from './destinations.ts';
import { compileCollection } from './engine.ts';
import { checkFormulaSyntax, compileFormula, unknownFunctions } from './formula.ts';
import { PathSyntaxError, parseDestinationPath, parseSourcePath } from './paths.ts';
import { sampleRecord } from './samples.ts';

/** The other collections of the subscription, as far as validation needs them. */
export interface SiblingCollection {
  id: string;
  name: string;
  type: CollectionType;
  direction: Direction;
  sync_type: SyncType;
  parent_id: string | null;
}

export interface ValidationContext {
  siblings: readonly SiblingCollection[];
  /** The id of the collection being replaced, when it is an update. */
  selfId?: string;
  subscription?: SubscriptionMappingContext;
}

const KIND_NAMES: Record<string, string> = {
  'customer:from_hub': 'a Klaviyo profile',
  'customer_address:from_hub': "a Klaviyo profile's location",
  'transaction:from_hub': 'a Klaviyo event',
  'transaction_line:from_hub': 'a Klaviyo event',
  'product:from_hub': 'a Klaviyo catalog item',
  'product_variant:from_hub': 'a Klaviyo catalog variant',
  'customer:to_hub': 'a hub customer',
  'customer_address:to_hub': 'a hub customer address',
  'transaction:to_hub': 'a hub transaction',
  'transaction_line:to_hub': 'a hub transaction line',
  'product:to_hub': 'a hub product',
  'product_variant:to_hub': 'a hub product variant',
};

const HINTS: Partial<Record<string, string>> = {
  'customer:from_hub':
    'custom properties go under properties.<name>; SubscribeProfile, LIST_<list>, UCLIST_<list> and custom_fields.<name> are custom fields',
  'transaction:from_hub': 'event properties go under properties.<name>; the profile under profile.<field>',
  'transaction_line:from_hub':
    'event properties go under properties.<name>; the profile under profile.<field>',
  'customer:to_hub': 'hub custom fields go under custom_fields.<name>',
};

function zodField(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function parseInput(input: unknown): CollectionSpec {
  const parsed = CollectionInput.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  const field = zodField(issue.path);
  throw new AppError('VALIDATION_FAILED', `${field || 'collection'}: ${issue.message}`, {
    field: field || undefined,
  });
}

/**
 * How a message names a mapping: numbered from 1, as the editor labels its rows ("Mapping 5
 * destination"). `field` keeps the API's 0-based path (mappings[4]) for programs.
 */
function label(mapping: MappingInput, index: number): string {
  return `Mapping ${index + 1} ('${mapping.destination}')`;
}

function checkDestination(
  spec: CollectionSpec,
  mapping: MappingInput,
  index: number,
  ctx: ValidationContext,
): void {
  const field = `mappings[${index}].destination`;
  const key = `${spec.type}:${spec.direction}`;
  if (spec.type === 'customer' && spec.direction === 'from_hub') {
    if (customFieldTarget(mapping.destination, ctx.subscription?.custom_fields)) return;
  }
  let names: string[];
  try {
    names = parseDestinationPath(mapping.destination);
  } catch (error) {
    throw new AppError('MAPPING_UNKNOWN_FIELD', `${label(mapping, index)}: ${(error as Error).message}`, {
      field,
    });
  }
  if (!isKnownDestination(destinationTree(spec.type, spec.direction), names)) {
    const hint = HINTS[key] ? ` (${HINTS[key]})` : '';
    throw new AppError(
      'MAPPING_UNKNOWN_FIELD',
      `${label(mapping, index)}: '${mapping.destination}' is not a field of ${KIND_NAMES[key]}${hint}`,
      { field },
    );
  }
}

function checkSourcePath(spec: CollectionSpec, source: string, mapping: MappingInput, index: number): void {
  const field = `mappings[${index}].source`;
  const scoped = /^\$(parent|subscription)(?:\.(.+))?$/.exec(source.trim());
  const path = scoped ? scoped[2] : source;
  if (path === undefined) return;
  let first: string;
  try {
    first = parseSourcePath(path)[0].name;
  } catch (error) {
    const column = error instanceof PathSyntaxError ? ` at column ${error.column}` : '';
    throw new AppError(
      'VALIDATION_FAILED',
      `${label(mapping, index)}: path '${source}' is not valid${column}: ${(error as Error).message}`,
      {
        field,
      },
    );
  }
  if (scoped) return;
  const known = sourceFields(spec.type, spec.direction);
  if (known && !known.includes(first)) {
    throw new AppError(
      'MAPPING_UNKNOWN_FIELD',
      `${label(mapping, index)}: the source record has no field '${first}' (known: ${known.join(', ')})`,
      { field },
    );
  }
}

function checkFormula(text: string, field: string, what: string): void {
  const problem = checkFormulaSyntax(text);
  if (problem) {
    throw new AppError(
      'MAPPING_FORMULA_INVALID',
      `${what} does not parse at line ${problem.line}, column ${problem.column}: ${problem.message}`,
      { field, details: { line: problem.line, column: problem.column } },
    );
  }
  const unknown = unknownFunctions(text);
  if (unknown.length > 0) {
    throw new AppError(
      'MAPPING_FORMULA_INVALID',
      `${what} calls ${unknown.map((name) => `$${name}`).join(', ')}, which is neither a JSONata function nor ` +
        'a helper of this service (docs/mappings.md lists the helpers); check the spelling',
      { field },
    );
  }
}

function checkMapping(
  spec: CollectionSpec,
  mapping: MappingInput,
  index: number,
  ctx: ValidationContext,
): void {
  checkDestination(spec, mapping, index, ctx);
  const what = `${label(mapping, index)}: the formula`;
  switch (mapping.type) {
    case 'field':
      checkSourcePath(spec, mapping.source, mapping, index);
      break;
    case 'dynamic_formula':
      checkFormula(mapping.formula, `mappings[${index}].formula`, what);
      break;
    case 'lookup_translation':
      if ((mapping.source === undefined) === (mapping.formula === undefined)) {
        throw new AppError(
          'VALIDATION_FAILED',
          `${label(mapping, index)}: a lookup translation needs either a source or a formula`,
          {
            field: `mappings[${index}].source`,
          },
        );
      }
      if (mapping.source !== undefined) checkSourcePath(spec, mapping.source, mapping, index);
      if (mapping.formula !== undefined) checkFormula(mapping.formula, `mappings[${index}].formula`, what);
      break;
    case 'static':
      break;
  }
}

function checkParent(spec: CollectionSpec, ctx: ValidationContext): void {
  const isChildType = CHILD_TYPES.includes(spec.type);
  const parentId = spec.parent_id ?? null;
  if (parentId === null) {
    if (isChildType) {
      throw new AppError(
        'MAPPING_PARENT_MISSING',
        `A ${spec.type} collection is a child collection and needs a parent_id`,
        {
          field: 'parent_id',
        },
      );
    }
    return;
  }
  const parent = ctx.siblings.find((c) => c.id === parentId && c.id !== ctx.selfId);
  if (!parent) {
    throw new AppError(
      'MAPPING_PARENT_MISSING',
      `Parent collection '${parentId}' does not exist in this subscription`,
      {
        field: 'parent_id',
      },
    );
  }
  if (CHILD_TYPE_OF[parent.type] !== spec.type || parent.direction !== spec.direction) {
    throw new AppError(
      'VALIDATION_FAILED',
      `A ${spec.type} ${spec.direction} collection cannot be a child of '${parent.name}' (${parent.type} ${parent.direction})`,
      { field: 'parent_id' },
    );
  }
}

function checkSingleAdd(spec: CollectionSpec, ctx: ValidationContext): void {
  if (spec.sync_type === 'update') return;
  const parentId = spec.parent_id ?? null;
  const other = ctx.siblings.find(
    (c) =>
      c.id !== ctx.selfId &&
      c.type === spec.type &&
      c.direction === spec.direction &&
      (c.parent_id ?? null) === parentId &&
      c.sync_type !== 'update',
  );
  if (other) {
    throw new AppError(
      'MAPPING_DUPLICATE_ADD_COLLECTION',
      `Collection '${other.name}' already adds ${spec.type} records ${spec.direction}; a second Add collection would make the choice ambiguous`,
      { field: 'sync_type' },
    );
  }
}

async function checkFilter(
  spec: CollectionSpec,
  which: 'mapping_filter' | 'error_filter',
  ctx: ValidationContext,
) {
  const text = spec[which];
  if (!text) return;
  const name = which === 'mapping_filter' ? 'The mapping filter' : 'The error filter';
  checkFormula(text, which, name);
  const sample = sampleRecord(spec.type, spec.direction);
  let result: unknown;
  try {
    result = await compileFormula(text).evaluate(sample.record, {
      parent: sample.parent,
      subscription: ctx.subscription,
      itemIndex: sample.parent ? 0 : undefined,
      warnings: [],
    });
  } catch (error) {
    const message = (error as { message?: string })?.message ?? String(error);
    throw new AppError(
      'MAPPING_FORMULA_FAILED',
      `${name} fails on a sample ${spec.type} record: ${message}`,
      {
        field: which,
      },
    );
  }
  if (typeof result !== 'boolean') {
    throw new AppError(
      'MAPPING_FILTER_NOT_BOOLEAN',
      `${name} must return true or false; on a sample ${spec.type} record it returned ${JSON.stringify(result) ?? 'nothing'}`,
      { field: which },
    );
  }
}

/** Validates a collection for saving; returns it normalized (defaults filled in) or throws AppError. */
export async function validateCollection(input: unknown, ctx: ValidationContext): Promise<CollectionSpec> {
  const spec = parseInput(input);
  checkParent(spec, ctx);
  checkSingleAdd(spec, ctx);
  const seen = new Map<string, number>();
  spec.mappings.forEach((mapping, index) => {
    checkMapping(spec, mapping, index, ctx);
    const previous = seen.get(mapping.destination);
    if (previous !== undefined) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${label(mapping, index)}: destination '${mapping.destination}' is already mapped by mapping ${previous + 1}`,
        { field: `mappings[${index}].destination` },
      );
    }
    seen.set(mapping.destination, index);
  });
  await checkFilter(spec, 'mapping_filter', ctx);
  await checkFilter(spec, 'error_filter', ctx);
  // Anything the checks above missed surfaces here, with its field, rather than at the first transfer.
  compileCollection(spec, { subscription: ctx.subscription });
  return spec;
}
