import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chooseSendMode,
  chunkWithinLimits,
  type ItemResult,
  jsonBytes,
  mapWithConcurrency,
  sendSplittingOnRefusal,
} from '../../src/flows/shared/batcher.ts';

test('chunks respect the item count limit and keep order', () => {
  const items = Array.from({ length: 25_001 }, (_, index) => index);
  const chunks = chunkWithinLimits(items, { maxItems: 10_000 });
  assert.deepEqual(
    chunks.map((chunk) => chunk.length),
    [10_000, 10_000, 5_001],
  );
  assert.deepEqual(chunks.flat(), items);
});

test('chunks respect the byte limit, counting the envelope, and no chunk is over it', () => {
  const profile = { email: 'someone@example.com', properties: { note: 'x'.repeat(900) } };
  const items = Array.from({ length: 12_000 }, () => profile);
  const limit = 5 * 1024 * 1024;
  const chunks = chunkWithinLimits(items, { maxItems: 10_000, maxBytes: limit, envelopeBytes: 200 });
  assert.ok(chunks.length >= 3, `expected the byte cap to split, got ${chunks.length} chunks`);
  for (const chunk of chunks) {
    assert.ok(jsonBytes({ data: chunk }) + 200 <= limit, 'a chunk is over the byte limit');
  }
  assert.equal(chunks.flat().length, items.length);
});

test('an item over the byte limit on its own gets a call of its own', () => {
  const chunks = chunkWithinLimits(['a', 'b'.repeat(100), 'c'], {
    maxItems: 10,
    maxBytes: 50,
    envelopeBytes: 0,
  });
  assert.deepEqual(chunks, [['a'], ['b'.repeat(100)], ['c']]);
});

class Refusal extends Error {
  readonly bad: number[];
  constructor(bad: number[]) {
    super('refused');
    this.bad = bad;
  }
}

function fakeBulk(badValues: Set<number>, calls: number[][]) {
  return async (items: readonly number[]): Promise<ItemResult<string>[]> => {
    calls.push([...items]);
    const bad = items
      .map((value, index) => (badValues.has(value) ? index : -1))
      .filter((index) => index >= 0);
    if (bad.length > 0) throw new Refusal(bad);
    return items.map((value) => ({ ok: true, value: `sent ${value}` }));
  };
}

test('a batch refused whole because of one record is bisected so every good record goes', async () => {
  const items = Array.from({ length: 1000 }, (_, index) => index);
  const calls: number[][] = [];
  const results = await sendSplittingOnRefusal(items, fakeBulk(new Set([613]), calls), {
    isWholeBatchRefusal: (error) => error instanceof Refusal,
  });
  assert.equal(results.length, 1000);
  const failed = results.flatMap((result, index) => (result.ok ? [] : [index]));
  assert.deepEqual(failed, [613]);
  assert.equal((results[0] as { value: string }).value, 'sent 0');
  // Bisection costs about 2·log2(n) calls, not n.
  assert.ok(calls.length <= 2 * Math.ceil(Math.log2(1000)) + 1, `too many calls: ${calls.length}`);
  const sentGood = new Set(calls.flat().filter((value) => value !== 613));
  assert.equal(sentGood.size, 999);
});

test('a refusal that names the bad records removes them and resends the rest once', async () => {
  const items = Array.from({ length: 100 }, (_, index) => index);
  const calls: number[][] = [];
  const results = await sendSplittingOnRefusal(items, fakeBulk(new Set([5, 70]), calls), {
    isWholeBatchRefusal: (error) => error instanceof Refusal,
    locateRefused: (error) => (error as Refusal).bad,
  });
  assert.deepEqual(
    results.flatMap((result, index) => (result.ok ? [] : [index])),
    [5, 70],
  );
  assert.equal(calls.length, 2);
  assert.equal(calls[1].length, 98);
});

test('a transient failure is not split: every record gets the error once', async () => {
  const calls: number[][] = [];
  const outage = new Error('503');
  const results = await sendSplittingOnRefusal(
    [1, 2, 3, 4],
    async (items) => {
      calls.push([...items]);
      throw outage;
    },
    { isWholeBatchRefusal: () => false },
  );
  assert.equal(calls.length, 1);
  assert.deepEqual(
    results,
    [1, 2, 3, 4].map(() => ({ ok: false, error: outage })),
  );
});

test('a send answering the wrong number of results fails the batch instead of misattributing outcomes', async () => {
  const results = await sendSplittingOnRefusal([1, 2], async () => [{ ok: true, value: 1 }], {
    isWholeBatchRefusal: () => false,
  });
  assert.equal(results.length, 2);
  assert.ok(results.every((result) => !result.ok));
});

test('work runs with bounded concurrency and results keep input order', async () => {
  let inFlight = 0;
  let peak = 0;
  const results = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (value) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    return value * 10;
  });
  assert.deepEqual(results, [50, 10, 40, 20, 30]);
  assert.equal(peak, 2);
});

test('single calls without a backlog, bulk with one', () => {
  assert.equal(chooseSendMode(1, 10), 'single');
  assert.equal(chooseSendMode(9, 10), 'single');
  assert.equal(chooseSendMode(10, 10), 'bulk');
});
