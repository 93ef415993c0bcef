import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  orderedProductUniqueId,
  orderedProductUniqueIds,
  orderUniqueId,
} from '../../src/flows/transaction-to-events/event-ids.ts';

test('the Placed Order id is the transaction id, and the same on every call', () => {
  assert.equal(orderUniqueId('T-100'), 'T-100');
  assert.equal(orderUniqueId('T-100'), orderUniqueId('T-100'));
  assert.throws(() => orderUniqueId(''), /transaction id is required/);
});

test('Ordered Product ids use the line id, else its sequence number, else its position', () => {
  assert.equal(orderedProductUniqueId('T-1', { id: 'L9', sequence_number: 2 }, 0), 'T-1:L9');
  assert.equal(orderedProductUniqueId('T-1', { sequence_number: 2 }, 0), 'T-1:2');
  assert.equal(orderedProductUniqueId('T-1', {}, 2), 'T-1:3');
});

test('the lines of one order never share an id, even when their sequence numbers repeat', () => {
  const ids = orderedProductUniqueIds('T-7', [{ sequence_number: 1 }, { sequence_number: 1 }, { id: 'x' }]);
  assert.deepEqual(ids, ['T-7:1#1', 'T-7:1#2', 'T-7:x']);
  assert.equal(new Set(ids).size, 3);
  assert.deepEqual(orderedProductUniqueIds('T-7', [{}, {}, {}]), ['T-7:1', 'T-7:2', 'T-7:3']);
});
