import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileCollection } from '../../src/mapping/engine.ts';
import { compileFormula, type FormulaState } from '../../src/mapping/formula.ts';
import { compileNative, FALLBACK } from '../../src/mapping/native.ts';

// The fast lane must give exactly what JSONata gives, or step aside (FALLBACK).

const records: unknown[] = [
  {
    addresses: [
      { is_primary_billing: false, phone_number: '617 555 0100', country: 'US', city: 'Boston' },
      {
        is_primary_billing: true,
        phone_number: '(212) 555-0147',
        country: 'United States',
        city: 'New York',
      },
    ],
    created_datetime: '2026-06-20T12:00:00+02:00',
    company: 'Example Corporation',
    custom_fields: [{ custom_field_name: 'Tier', value: 'Gold' }],
    nested: { deeper: { value: 7 } },
  },
  { addresses: { is_primary_billing: true, phone_number: '+31612345678', city: 'Amsterdam' } },
  { addresses: [] },
  { addresses: [{ is_primary_billing: true, phone_number: ['1', '2'] }] },
  { addresses: [[{ is_primary_billing: true }]] },
  { addresses: [{ is_primary_billing: 'true', city: 'Nowhere' }] },
  {},
  { company: null, nested: [{ deeper: { value: 1 } }, { deeper: { value: 2 } }] },
];

const formulas = [
  '$e164(addresses[is_primary_billing = true][0].phone_number, addresses[is_primary_billing = true][0].country)',
  'addresses[is_primary_billing = true][0].city',
  'addresses[is_primary_billing != true][0].city',
  'addresses[0].city',
  'addresses[-1].city',
  '$truncate(company, 7)',
  '$coalesce(company, "none")',
  '$isEmpty(company)',
  '$customField("Tier")',
  '$toIso(created_datetime)',
  'nested.deeper.value',
  '$parent.id',
  '$itemIndex',
];

describe('formula fast lane', () => {
  test('the common shapes compile natively; anything richer does not', () => {
    for (const f of formulas) assert.ok(compileNative(f), f);
    for (const f of [
      'first_name & " " & last_name',
      'addresses[is_primary_billing = true].city',
      '$firstMatch(addresses, "x = 1")',
      '$string(company)',
      'addresses[city = $parent.city][0]',
      '{"a": 1}',
      'company ? 1 : 2',
      '$lookup($, "constructor")',
    ]) {
      assert.equal(compileNative(f), undefined, f);
    }
  });

  test('native results equal JSONata results on every record (or step aside)', async () => {
    let native = 0;
    for (const f of formulas) {
      const fast = compileNative(f);
      assert.ok(fast);
      for (const [i, record] of records.entries()) {
        const state = (): FormulaState => ({
          parent: { id: 'P-1' },
          itemIndex: 3,
          subscription: { id: 's', default_phone_country: 'US' },
          warnings: [],
        });
        const slowState = state();
        let expected: unknown;
        let expectedError: string | undefined;
        try {
          expected = await compileFormula(f).evaluate(record, slowState);
        } catch (e) {
          expectedError = (e as Error).message;
        }
        const fastState = state();
        let actual: unknown;
        try {
          actual = fast(record, fastState);
        } catch (e) {
          assert.equal((e as Error).message, expectedError, `${f} on record ${i}`);
          continue;
        }
        if (actual === FALLBACK) continue;
        native++;
        assert.equal(expectedError, undefined, `${f} on record ${i}: JSONata failed with ${expectedError}`);
        assert.deepEqual(actual, expected, `${f} on record ${i}`);
        assert.deepEqual(fastState.warnings, slowState.warnings, `${f} on record ${i}`);
      }
    }
    assert.ok(native > 60, `most cases run natively (${native})`);
  });

  test('a collection of Field mappings and fast-lane formulas answers without a promise, and falls back when needed', async () => {
    const c = compileCollection({
      name: 'Fast',
      type: 'customer',
      direction: 'from_hub',
      sync_type: 'update',
      mapping_filter: '$isEmpty(company) = false',
      mappings: [
        {
          destination: 'phone_number',
          type: 'dynamic_formula',
          formula: '$e164(addresses[is_primary_billing = true][0].phone_number, "US")',
        },
        { destination: 'organization', type: 'dynamic_formula', formula: '$truncate(company, 3)' },
      ],
    });
    // The filter is not in the fast lane (a comparison), so this collection waits for JSONata.
    assert.equal(c.isSync, false);
    const fast = compileCollection({
      name: 'Fast',
      type: 'customer',
      direction: 'from_hub',
      sync_type: 'update',
      mapping_filter: '$isEmpty(company)',
      mappings: [{ destination: 'organization', type: 'dynamic_formula', formula: '$truncate(company, 3)' }],
    });
    assert.equal(fast.isSync, true);
    const skipped = fast.map({ company: 'Example' });
    assert.ok(!(skipped instanceof Promise));
    assert.equal(skipped.status, 'skipped');
    // A list where a plain value was expected: JSONata decides, the answer comes as a promise.
    const viaJsonata = compileCollection({
      name: 'Fallback',
      type: 'customer',
      direction: 'from_hub',
      sync_type: 'update',
      mappings: [{ destination: 'properties.c', type: 'dynamic_formula', formula: 'nested.deeper.value' }],
    }).map({ nested: [{ deeper: { value: 1 } }, { deeper: { value: 2 } }] });
    assert.ok(viaJsonata instanceof Promise);
    const outcome = await viaJsonata;
    assert.deepEqual(outcome.status === 'mapped' && outcome.payload, { properties: { c: [1, 2] } });
  });
});
