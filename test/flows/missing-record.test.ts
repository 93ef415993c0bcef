import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubKind } from '../../src/domain/hub.ts';
import { FROM_HUB_FLOW } from '../../src/transfer/flows.ts';
import { SUBSCRIPTION, startFlowEnv } from './helpers.ts';

// A manual sync of an id the hub never had (a typo) must say so, not claim the record was deleted.
test('a manual sync tells a record that never existed from one that was deleted', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('customer', { id: 'C-gone', email_address: 'gone@example.com' });
    await env.hub.upsert('product', { id: 'P-gone', name: 'Gone' });
    await env.drain();
    await env.hub.delete('customer', 'C-gone');
    await env.hub.delete('product', 'P-gone');
    const manual = (kind: HubKind, recordId: string) => ({
      subscription_id: SUBSCRIPTION,
      flow: FROM_HUB_FLOW[kind],
      direction: 'from_hub' as const,
      trigger: 'manual',
      record_kind: kind,
      record_id: recordId,
    });
    await env.engine.enqueue(env.store.db, [
      manual('customer', 'C-gone'),
      manual('customer', 'C-typo'),
      manual('transaction', 'T-typo'),
      manual('product', 'P-gone'),
      manual('product', 'P-typo'),
    ]);
    await env.drain();
    const reasonOf = async (recordId: string) => {
      const transfers = (await env.transfers(recordId)).filter((t) => t.trigger === 'manual');
      assert.equal(transfers.length, 1, recordId);
      assert.equal(transfers[0].state, 'skipped', recordId);
      return transfers[0].error_message;
    };
    assert.equal(await reasonOf('C-typo'), "No customer with id 'C-typo' exists in the hub.");
    assert.equal(await reasonOf('T-typo'), "No transaction with id 'T-typo' exists in the hub.");
    assert.equal(await reasonOf('P-typo'), "No product with id 'P-typo' exists in the hub.");
    assert.match((await reasonOf('C-gone')) ?? '', /^The customer no longer exists in the hub/);
    assert.match((await reasonOf('P-gone')) ?? '', /^The product no longer exists in the hub/);
  } finally {
    await env.close();
  }
});

test('deletedIds names only soft-deleted records', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('customer', { id: 'A', email_address: 'a@example.com' });
    await env.hub.upsert('customer', { id: 'B', email_address: 'b@example.com' });
    await env.hub.delete('customer', 'B');
    assert.deepEqual([...(await env.hub.deletedIds('customer', ['A', 'B', 'C']))], ['B']);
    assert.deepEqual([...(await env.hub.deletedIds('product', ['B']))], []);
  } finally {
    await env.close();
  }
});
