import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileCollection, type MappingOutcome } from '../../src/mapping/engine.ts';

// A formula is a pure transformation of the record: whatever it tries, it gets no handle on the process,
// the file system, the network or JavaScript's object model, and a runaway formula fails its record.

const record = { name: 'x', list: [1, 2, 3] };

async function run(formula: string): Promise<MappingOutcome> {
  const c = compileCollection({
    name: 'Sandbox',
    type: 'customer',
    direction: 'from_hub',
    sync_type: 'update',
    mappings: [{ destination: 'properties.out', type: 'dynamic_formula', formula }],
  });
  return c.map(record);
}

/** The formula either fails or yields no usable value: never a function, never process/module data. */
async function assertContained(formula: string) {
  const outcome = await run(formula);
  if (outcome.status === 'failed') {
    assert.match(outcome.error.code, /^MAPPING_FORMULA_(FAILED|INVALID)$/);
    return;
  }
  assert.equal(outcome.status, 'mapped', formula);
  if (outcome.status !== 'mapped') return;
  const out = (outcome.payload.properties as Record<string, unknown> | undefined)?.out;
  assert.notEqual(typeof out, 'function', formula);
  const text = JSON.stringify(out) ?? '';
  for (const leak of ['pid', 'env', 'PATH', 'root:', 'versions', 'mainModule', '[native code]']) {
    assert.ok(!text.includes(leak), `${formula} leaked ${leak}: ${text}`);
  }
  assert.ok(
    out === undefined ||
      out === null ||
      typeof out !== 'object' ||
      !('constructor' in Object(out) && typeof out === 'function'),
  );
}

describe('formulas cannot reach outside the record', () => {
  const attempts = [
    'process',
    '$process',
    '$process.env',
    'require("fs")',
    '$require("fs")',
    '$import("node:fs")',
    'globalThis',
    '$globalThis',
    '$.constructor',
    '$.__proto__',
    '$.constructor.constructor("return process")()',
    'constructor.constructor("return process.pid")()',
    '$lookup($, "constructor")',
    '$lookup($lookup($, "constructor"), "constructor")("return process")()',
    '$string.constructor("return process")()',
    '$e164.implementation',
    '$e164.implementation.constructor("return process")()',
    '$lookup($customField, "implementation")',
    '$firstMatch.constructor',
    'list.constructor',
    '$eval("process")',
    '$eval("$lookup($$, \'constructor\')")',
    '$eval("constructor.constructor(\\"return process\\")()")',
    "$eval(\"require('child_process').execSync('id')\")",
    '$fetch("http://127.0.0.1/")',
    '$readFile("/etc/passwd")',
    '$string(function($x){$x})',
    'function($x){$x}',
    '$sift($, function($v, $k){ $k = "constructor" })',
    '$spread($)',
  ];
  for (const formula of attempts) {
    test(formula, async () => {
      await assertContained(formula);
    });
  }

  test('a formula returning __proto__ keys pollutes nothing', async () => {
    const outcome = await run(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as unknown as Record<string, unknown>).polluted, undefined);
    assert.equal(outcome.status, 'mapped');
  });

  test('$merge and the transform operator cannot change prototypes', async () => {
    await run('$merge([{}, {"__proto__": {"polluted": 1}}])');
    await run('$ ~> |$|{"__proto__": {"polluted": 1}}|');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('runaway recursion and huge sequences fail the record instead of hanging', async () => {
    const recursion = await run('($f := function($n) { 1 + $f($n + 1) }; $f(0))');
    assert.equal(recursion.status, 'failed');
    assert.match(recursion.status === 'failed' ? recursion.error.message : '', /stack|depth|recurs/i);
    // A tail call runs in constant depth: the evaluation time limit stops it.
    const loop = await run('($f := function($n) { $f($n + 1) }; $f(0))');
    assert.equal(loop.status, 'failed');
    const huge = await run('$count([1..10000000])');
    assert.equal(huge.status, 'failed');
  });

  test('helpers see only their arguments: $customField reads the record, not the environment', async () => {
    const outcome = await run('$customField("PATH")');
    assert.equal(outcome.status, 'mapped');
    assert.deepEqual(outcome.status === 'mapped' && outcome.payload, {});
  });
});
