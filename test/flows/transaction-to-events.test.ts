import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFlowEnv } from './helpers.ts';

function order(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    transaction_number: `#${id}`,
    email_address: 'buyer@example.com',
    status: 'pending',
    currency: 'USD',
    total: 60,
    created_datetime: '2026-11-01T10:00:00Z',
    lines: [
      { id: 'L1', sku: 'A', description: 'Apple', qty: 1, unit_price: 10, extended_price: 10 },
      { id: 'L2', sku: 'B', description: 'Banana', qty: 2, unit_price: 10, extended_price: 20 },
      { id: 'L3', sku: 'C', description: 'Cherry', qty: 3, unit_price: 10, extended_price: 30 },
    ],
    ...extra,
  };
}

test('an order with 3 lines gives 1 Placed Order and 3 Ordered Product events; sending it again gives none', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('transaction', order('T1'));
    await env.drain();
    const [first] = await env.transfers('T1');
    assert.equal(first.state, 'succeeded', first.error_message ?? '');
    const placed = env.eventsOf('Placed Order');
    const products = env.eventsOf('Ordered Product');
    assert.equal(placed.length, 1);
    assert.equal(products.length, 3);
    assert.equal(placed[0].uniqueId, 'T1');
    assert.equal(placed[0].value, 60);
    assert.equal(placed[0].valueCurrency, 'USD');
    assert.equal(placed[0].time, Date.parse('2026-11-01T10:00:00Z'));
    assert.equal(placed[0].properties.OrderId, '#T1');
    assert.deepEqual(placed[0].properties.ItemNames, ['Apple', 'Banana', 'Cherry']);
    assert.deepEqual(products.map((e) => e.uniqueId).sort(), ['T1:L1', 'T1:L2', 'T1:L3']);
    assert.equal(products.find((e) => e.uniqueId === 'T1:L2')?.properties['Order Qty'], 2);
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'transaction', 'T1'), 'T1');

    // The same order again (an update with nothing new, then a manual replay of the first transfer).
    await env.hub.upsert('transaction', order('T1', { total: 60 }));
    await env.drain();
    await env.engine.log.retry(first.id).catch(() => undefined);
    await env.engine.log.replay({ subscription_id: 'sub-1', record_id: 'T1' });
    await env.drain();
    assert.equal(env.eventsOf('Placed Order').length, 1);
    assert.equal(env.eventsOf('Ordered Product').length, 3);
    const later = (await env.transfers('T1')).filter((t) => t.id !== first.id);
    assert.ok(later.length >= 1);
    assert.ok(
      later.every((t) => t.state === 'skipped'),
      JSON.stringify(later.map((t) => t.state)),
    );
  } finally {
    await env.close();
  }
});

test('Generate Events off: the order transfer is skipped with the reason and nothing is sent', async () => {
  const env = await startFlowEnv({ subscription: { generate_events: false } });
  try {
    await env.hub.upsert('transaction', order('T2'));
    await env.drain();
    const [transfer] = await env.transfers('T2');
    assert.equal(transfer.state, 'skipped');
    assert.match(transfer.error_message ?? '', /Generate Events is off/);
    assert.equal(env.account.events.length, 0);
  } finally {
    await env.close();
  }
});

test('a canceled order sends one Canceled Order event with the Placed Order unique_id', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('transaction', order('T3'));
    await env.drain();
    await env.hub.upsert(
      'transaction',
      order('T3', { status: 'canceled', updated_datetime: '2026-11-02T09:00:00Z' }),
    );
    await env.drain();
    await env.hub.upsert('transaction', order('T3', { status: 'canceled' }));
    await env.drain();
    const canceled = env.eventsOf('Canceled Order');
    assert.equal(canceled.length, 1);
    assert.equal(canceled[0].uniqueId, 'T3');
    assert.equal(env.eventsOf('Placed Order').length, 1);
    assert.equal(env.eventsOf('Placed Order')[0].profileId, canceled[0].profileId);
    const states = (await env.transfers('T3')).map((t) => t.state).reverse();
    assert.deepEqual(states, ['succeeded', 'succeeded', 'skipped']);
  } finally {
    await env.close();
  }
});

test("an order of a linked customer goes on the customer's profile by id", async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('customer', { id: 'cust-9', email_address: 'linked@example.com' });
    await env.drain();
    const profileId = await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'cust-9');
    await env.hub.upsert(
      'transaction',
      order('T4', { customer_id: 'cust-9', email_address: 'other@example.com' }),
    );
    await env.drain();
    const placed = env.eventsOf('Placed Order');
    assert.equal(placed.length, 1);
    assert.equal(placed[0].profileId, profileId);
    assert.equal(env.profileByEmail('other@example.com'), undefined);
  } finally {
    await env.close();
  }
});

test('an order with no customer link, email or phone fails with what to fix', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('transaction', order('T5', { email_address: null }));
    await env.drain();
    const [transfer] = await env.transfers('T5');
    assert.equal(transfer.state, 'failed');
    assert.match(transfer.error_message ?? '', /cannot tell whose order it is/);
    assert.equal(env.account.events.length, 0);
  } finally {
    await env.close();
  }
});

test('with a backlog, orders go by bulk create jobs; a bad order is isolated and the others are sent', async () => {
  const env = await startFlowEnv({ bulkThreshold: 5 });
  try {
    const orders = Array.from({ length: 40 }, (_, i) =>
      order(`B${i}`, { email_address: `buyer${i}@example.com`, currency: i === 17 ? 'DOLLARS' : 'USD' }),
    );
    await env.hub.upsertMany('transaction', orders);
    await env.drain();
    const transfers = await env.transfers();
    const failed = transfers.filter((t) => t.state !== 'succeeded');
    assert.deepEqual(
      failed.map((t) => [t.record_id, t.error_code]),
      [['B17', 'KLAVIYO_INVALID_INPUT']],
    );
    assert.match(failed[0].error_message ?? '', /value_currency/);
    assert.equal(env.eventsOf('Placed Order').length, 39);
    assert.equal(env.eventsOf('Ordered Product').length, 39 * 3);
    const counts = env.sandbox.state.requestCounts;
    assert.ok((counts.get('bulk_create_events')?.count ?? 0) >= 1);
    assert.ok((counts.get('create_event')?.count ?? 0) <= 1, 'at most the bad event alone goes singly');
  } finally {
    await env.close();
  }
});

test('a resend after the link is lost makes no second event: the unique_id is the same', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('transaction', order('T6'));
    await env.drain();
    await env.engine.links.remove('sub-1', 'transaction', 'T6');
    await env.hub.upsert('transaction', order('T6', { total: 61 }));
    await env.drain();
    const transfers = await env.transfers('T6');
    assert.ok(transfers.every((t) => t.state === 'succeeded'));
    assert.equal(env.eventsOf('Placed Order').length, 1);
    assert.equal(env.eventsOf('Ordered Product').length, 3);
  } finally {
    await env.close();
  }
});
