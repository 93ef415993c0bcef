import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MANUAL_SYNC_MAX_IDS, parseIds } from '../../src/cli/commands/sync.ts';
import { chunk } from '../../src/domain/chunk.ts';

test('ids may be separated by commas, spaces or new lines; duplicates are dropped in order', () => {
  assert.deepEqual(parseIds('C1, C2\nC3\r\n\tC2,,C4 '), ['C1', 'C2', 'C3', 'C4']);
  assert.deepEqual(parseIds(''), []);
});

test('more ids than the route takes go in requests of at most 3,000', () => {
  const ids = Array.from({ length: 7001 }, (_, i) => `C${i}`);
  const parts = chunk(ids, MANUAL_SYNC_MAX_IDS);
  assert.deepEqual(
    parts.map((p) => p.length),
    [3000, 3000, 1001],
  );
  assert.deepEqual(parts.flat(), ids);
});
