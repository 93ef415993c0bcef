import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compileMatchTest,
  compileSourcePath,
  PathSyntaxError,
  parseDestinationPath,
  writePath,
} from '../../src/mapping/paths.ts';

const customer = {
  email_address: 'a@example.com',
  addresses: [
    { city: 'Boston', is_primary_billing: false, type: 'shipping', meta: { rank: 2 } },
    { city: 'New York', is_primary_billing: true, type: 'billing', meta: { rank: 1 } },
  ],
  properties: { 'Last Active': '2026-01-01' },
  lines: [{ tags: ['a', 'b'] }, { tags: ['c'] }],
};

describe('source paths', () => {
  test('read plain names, indexes (negative from the end) and names with spaces', () => {
    assert.equal(compileSourcePath('email_address')(customer), 'a@example.com');
    assert.equal(compileSourcePath('addresses[0].city')(customer), 'Boston');
    assert.equal(compileSourcePath('addresses[-1].city')(customer), 'New York');
    assert.equal(compileSourcePath('addresses[5].city')(customer), undefined);
    assert.equal(compileSourcePath('properties.Last Active')(customer), '2026-01-01');
  });

  test('a field=value selector picks the first matching item', () => {
    assert.equal(compileSourcePath('addresses[is_primary_billing=true].city')(customer), 'New York');
    assert.equal(compileSourcePath('addresses[is_primary_billing == false].city')(customer), 'Boston');
    assert.equal(compileSourcePath("addresses[type='billing'].city")(customer), 'New York');
    assert.equal(compileSourcePath('addresses[meta.rank=2].city')(customer), 'Boston');
    assert.equal(compileSourcePath('addresses[type!="shipping"].city')(customer), 'New York');
    assert.equal(compileSourcePath('addresses[type="none"].city')(customer), undefined);
  });

  test('a name applied to a list reads it from every item, flattening lists', () => {
    assert.deepEqual(compileSourcePath('addresses.city')(customer), ['Boston', 'New York']);
    assert.deepEqual(compileSourcePath('lines.tags')(customer), ['a', 'b', 'c']);
  });

  test('missing parts read as undefined and inherited members are never read', () => {
    assert.equal(compileSourcePath('nope.deeper')(customer), undefined);
    assert.equal(compileSourcePath('email_address.length')(customer), undefined);
    assert.equal(compileSourcePath('toString')(customer), undefined);
    assert.equal(compileSourcePath('a')(null), undefined);
  });

  test('syntax errors name the column; object-model names are refused', () => {
    for (const [path, column] of [
      ['addresses[0', 10],
      ['a..b', 3],
      ['a.', 2],
      ['addresses[x y].city', 10],
    ] as const) {
      assert.throws(
        () => compileSourcePath(path),
        (e: unknown) => e instanceof PathSyntaxError && e.column === column,
        path,
      );
    }
    assert.throws(() => compileSourcePath('constructor.name'), PathSyntaxError);
    assert.throws(() => compileSourcePath('a.__proto__'), PathSyntaxError);
    assert.throws(() => compileSourcePath('addresses[prototype=1]'), PathSyntaxError);
  });

  test('simple match tests compile; anything richer is left to the formula engine', () => {
    const test1 = compileMatchTest('is_primary_billing = true');
    assert.ok(test1);
    assert.equal(test1({ is_primary_billing: true }), true);
    assert.equal(test1({ is_primary_billing: 'true' }), false);
    assert.equal(compileMatchTest('a and b = true'), undefined);
    assert.equal(compileMatchTest("type = 'x' or type = 'y'"), undefined);
  });
});

describe('destination paths', () => {
  test('writing creates objects and merges an object onto an object in either order', () => {
    const out: Record<string, unknown> = {};
    writePath(out, parseDestinationPath('location.city'), 'Paris');
    writePath(out, parseDestinationPath('properties.Order Qty'), 2);
    writePath(out, parseDestinationPath('properties'), { OrderId: 'X', Items: [1] });
    writePath(out, parseDestinationPath('location'), { zip: '75001' });
    assert.deepEqual(out, {
      location: { city: 'Paris', zip: '75001' },
      properties: { 'Order Qty': 2, OrderId: 'X', Items: [1] },
    });
  });

  test('object-model keys are refused as destinations and dropped from merged objects', () => {
    assert.throws(() => parseDestinationPath('properties.__proto__'), PathSyntaxError);
    assert.throws(() => parseDestinationPath('a..b'), PathSyntaxError);
    const out: Record<string, unknown> = {};
    const evil = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
    writePath(out, ['properties'], evil);
    assert.deepEqual(out, { properties: { ok: 1 } });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(out.properties), Object.prototype);
  });
});
