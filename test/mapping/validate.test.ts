import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CollectionInput } from '../../src/domain/collections.ts';
import { AppError, type ErrorCode } from '../../src/domain/errors.ts';
import { type SiblingCollection, validateCollection } from '../../src/mapping/validate.ts';

const base = (extra: Partial<CollectionInput> = {}): CollectionInput => ({
  name: 'Add Klaviyo Profile FROM hub',
  type: 'customer',
  direction: 'from_hub',
  sync_type: 'add',
  mappings: [{ destination: 'email', type: 'field', source: 'email_address' }],
  ...extra,
});

const siblings: SiblingCollection[] = [
  {
    id: 'c-add',
    name: 'Existing Add',
    type: 'customer',
    direction: 'from_hub',
    sync_type: 'add',
    parent_id: null,
  },
  {
    id: 't-add',
    name: 'Placed Order',
    type: 'transaction',
    direction: 'from_hub',
    sync_type: 'add',
    parent_id: null,
  },
  {
    id: 'p-add',
    name: 'Profile Add',
    type: 'customer',
    direction: 'to_hub',
    sync_type: 'add',
    parent_id: null,
  },
];

async function refused(
  input: unknown,
  code: ErrorCode,
  field: string | undefined,
  message?: RegExp,
  sibs = [] as SiblingCollection[],
) {
  await assert.rejects(validateCollection(input, { siblings: sibs }), (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, 400);
    assert.equal(e.field, field, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('validation on save', () => {
  test('a good collection passes and comes back with defaults filled in', async () => {
    const spec = await validateCollection(base(), { siblings: [] });
    assert.equal(spec.enabled, true);
    assert.equal(spec.collision_handling, 'error');
    assert.equal(spec.sort_order, 0);
  });

  test('malformed input is refused with the field that is wrong', async () => {
    await refused({ ...base(), type: 'order' }, 'VALIDATION_FAILED', 'type');
    await refused(
      base({ mappings: [{ destination: 'email', type: 'field' } as never] }),
      'VALIDATION_FAILED',
      'mappings[0].source',
    );
    await refused({ ...base(), extra: 1 }, 'VALIDATION_FAILED', undefined);
  });

  test('unknown destination fields for the type and direction', async () => {
    await refused(
      base({
        mappings: [
          { destination: 'email', type: 'field', source: 'email_address' },
          { destination: 'nickname', type: 'static', value: 'x' },
        ],
      }),
      'MAPPING_UNKNOWN_FIELD',
      'mappings[1].destination',
      /Mapping 2 \('nickname'\): 'nickname' is not a field of a Klaviyo profile \(custom properties go under properties/,
    );
    await refused(
      base({ mappings: [{ destination: 'location.street', type: 'static', value: 'x' }] }),
      'MAPPING_UNKNOWN_FIELD',
      'mappings[0].destination',
    );
    await refused(
      base({ mappings: [{ destination: 'email.domain', type: 'static', value: 'x' }] }),
      'MAPPING_UNKNOWN_FIELD',
      'mappings[0].destination',
    );
    await refused(
      base({
        type: 'transaction',
        name: 'Order',
        mappings: [{ destination: 'email', type: 'static', value: 'x' }],
      }),
      'MAPPING_UNKNOWN_FIELD',
      'mappings[0].destination',
      /not a field of a Klaviyo event/,
    );
    await refused(
      base({ direction: 'to_hub', mappings: [{ destination: 'email', type: 'field', source: 'email' }] }),
      'MAPPING_UNKNOWN_FIELD',
      'mappings[0].destination',
      /not a field of a hub customer/,
    );
    // Custom properties, custom fields and open objects are accepted.
    await validateCollection(
      base({
        mappings: [
          { destination: 'email', type: 'field', source: 'email_address' },
          { destination: 'properties.Any Name', type: 'static', value: 1 },
          { destination: 'SubscribeProfile', type: 'static', value: true },
          { destination: 'LIST_Newsletter', type: 'static', value: true },
          { destination: 'custom_fields.Tier', type: 'static', value: 'Gold' },
          { destination: 'Declared', type: 'static', value: 'x' },
        ],
      }),
      { siblings: [], subscription: { id: 's', custom_fields: ['Declared'] } },
    );
  });

  test('unknown source fields and bad paths', async () => {
    await refused(
      base({ mappings: [{ destination: 'email', type: 'field', source: 'emial_address' }] }),
      'MAPPING_UNKNOWN_FIELD',
      'mappings[0].source',
      /no field 'emial_address'/,
    );
    await refused(
      base({ mappings: [{ destination: 'email', type: 'field', source: 'addresses[0' }] }),
      'VALIDATION_FAILED',
      'mappings[0].source',
      /column 10/,
    );
  });

  test('the same destination twice', async () => {
    await refused(
      base({
        mappings: [
          { destination: 'email', type: 'field', source: 'email_address' },
          { destination: 'email', type: 'static', value: 'x' },
        ],
      }),
      'VALIDATION_FAILED',
      'mappings[1].destination',
      /^Mapping 2 \('email'\): .*already mapped by mapping 1$/,
    );
  });

  test('formulas that do not parse, with line and column', async () => {
    await refused(
      base({
        mappings: [
          { destination: 'email', type: 'field', source: 'email_address' },
          { destination: 'first_name', type: 'field', source: 'first_name' },
          { destination: 'properties', type: 'dynamic_formula', formula: '{\n  "a": first_name &\n}' },
        ],
      }),
      'MAPPING_FORMULA_INVALID',
      'mappings[2].formula',
      /Mapping 3 \('properties'\): the formula does not parse at line 3, column 1/,
    );
    await refused(
      base({
        mappings: [
          { destination: 'properties.x', type: 'lookup_translation', formula: 'status =', table: {} },
        ],
      }),
      'MAPPING_FORMULA_INVALID',
      'mappings[0].formula',
    );
    await refused(
      base({ mapping_filter: 'status = ' }),
      'MAPPING_FORMULA_INVALID',
      'mapping_filter',
      /line 1, column/,
    );
  });

  test('a formula calling a function that exists nowhere is refused on save, naming it', async () => {
    await refused(
      base({
        mappings: [
          { destination: 'email', type: 'field', source: 'email_address' },
          { destination: 'properties.x', type: 'dynamic_formula', formula: '$uppercse(first_name)' },
        ],
      }),
      'MAPPING_FORMULA_INVALID',
      'mappings[1].formula',
      /calls \$uppercse, which is neither a JSONata function nor a helper/,
    );
    await refused(
      base({ mapping_filter: '$isEmty(email_address)' }),
      'MAPPING_FORMULA_INVALID',
      'mapping_filter',
    );
    // JSONata functions, the service's helpers and functions the formula defines itself all pass.
    const formula =
      '($greet := function($n) { "Hi " & $n }; $greet($uppercase($coalesce(first_name, "x"))) & ' +
      '$string($count($map([1, 2], function($v) { $v * 2 }))) & $formatDate($now(), "YYYY"))';
    await validateCollection(
      base({
        mappings: [
          { destination: 'email', type: 'field', source: 'email_address' },
          { destination: 'properties.x', type: 'dynamic_formula', formula },
        ],
      }),
      { siblings: [] },
    );
  });

  test('the list of JSONata functions holds every function JSONata defines', async () => {
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const { JSONATA_FUNCTION_NAMES } = await import('../../src/mapping/formula.ts');
    const source = readFileSync(createRequire(import.meta.url).resolve('jsonata'), 'utf8');
    const defined = [...source.matchAll(/staticFrame\.bind\('(\w+)'/g)].map((m) => m[1]);
    assert.ok(defined.length > 50, 'found the functions in the jsonata source');
    assert.deepEqual(
      defined.filter((name) => !JSONATA_FUNCTION_NAMES.includes(name)),
      [],
    );
  });

  test('a lookup translation needs a source or a formula, not both', async () => {
    await refused(
      base({ mappings: [{ destination: 'properties.x', type: 'lookup_translation', table: {} }] }),
      'VALIDATION_FAILED',
      'mappings[0].source',
    );
  });

  test('filters that do not return a boolean on a sample record', async () => {
    await refused(
      base({ mapping_filter: 'email_address' }),
      'MAPPING_FILTER_NOT_BOOLEAN',
      'mapping_filter',
      /returned "sarah.mason@example.com"/,
    );
    await refused(base({ error_filter: 'addresses.city' }), 'MAPPING_FILTER_NOT_BOOLEAN', 'error_filter');
    await refused(
      base({ error_filter: '$toIso(first_name) = "x"' }),
      'MAPPING_FORMULA_FAILED',
      'error_filter',
    );
    await validateCollection(
      base({ mapping_filter: '$exists(email_address)', error_filter: '$isEmpty(email_address)' }),
      { siblings: [] },
    );
    // Child filters see the sample's $parent.
    await validateCollection(
      {
        name: 'Line',
        type: 'transaction_line',
        direction: 'from_hub',
        sync_type: 'add',
        parent_id: 't-add',
        mapping_filter: '$parent.currency = "USD"',
        mappings: [{ destination: 'metric', type: 'static', value: 'Ordered Product' }],
      },
      { siblings },
    );
  });

  test('a child whose parent is missing, absent, or of the wrong kind', async () => {
    const line = {
      name: 'Line',
      type: 'transaction_line',
      direction: 'from_hub',
      sync_type: 'add',
      mappings: [{ destination: 'metric', type: 'static', value: 'Ordered Product' }],
    } as const;
    await refused(
      { ...line, parent_id: 'gone' },
      'MAPPING_PARENT_MISSING',
      'parent_id',
      /'gone' does not exist/,
      siblings,
    );
    await refused(line, 'MAPPING_PARENT_MISSING', 'parent_id', /needs a parent_id/, siblings);
    await refused(
      { ...line, parent_id: 'c-add' },
      'VALIDATION_FAILED',
      'parent_id',
      /cannot be a child of 'Existing Add'/,
      siblings,
    );
    await refused({ ...base(), parent_id: 'c-add' }, 'VALIDATION_FAILED', 'parent_id', undefined, siblings);
  });

  test('two Add collections for one type and direction', async () => {
    await refused(
      base(),
      'MAPPING_DUPLICATE_ADD_COLLECTION',
      'sync_type',
      /'Existing Add' already adds customer records from_hub/,
      siblings,
    );
    await refused(
      base({ sync_type: 'add_and_update' }),
      'MAPPING_DUPLICATE_ADD_COLLECTION',
      'sync_type',
      undefined,
      siblings,
    );
    // Replacing the Add collection itself, an Update next to it, and the other direction are fine.
    await validateCollection(base(), { siblings, selfId: 'c-add' });
    await validateCollection(base({ sync_type: 'update' }), { siblings });
    await validateCollection(
      base({
        direction: 'to_hub',
        sync_type: 'update',
        mappings: [{ destination: 'email_address', type: 'field', source: 'email' }],
      }),
      { siblings },
    );
  });
});
