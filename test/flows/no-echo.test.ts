// No echo (docs/flows.md): what the service wrote to Klaviyo in a drain is not read back by the profile poll
// as a change, while a change made in Klaviyo afterwards still comes back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROFILE_TO_CUSTOMER_FLOW } from '../../src/transfer/flows.ts';
import { startFlowEnv } from './helpers.ts';

function customer(i: number) {
  return {
    id: `e${i}`,
    email_address: `echo${i}@example.com`,
    first_name: `First${i}`,
    last_name: `Last${i}`,
    company: i % 3 === 0 ? `Company ${i}` : null,
    addresses: [
      {
        is_primary_billing: true,
        phone_number: i % 2 === 0 ? `(415) 555-${String(1000 + i)}` : null,
        address_1: `${i} Main St`,
        city: 'San Francisco',
        region: 'CA',
        country: 'US',
        postal_code: '94105',
      },
    ],
  };
}

function order(i: number) {
  return {
    id: `o${i}`,
    transaction_number: `#${1000 + i}`,
    customer_id: `e${i}`,
    email_address: `echo${i}@example.com`,
    status: 'processing',
    currency: 'USD',
    total: 19.5,
    created_datetime: new Date(Date.now() - 3600_000).toISOString(),
    lines: [
      { id: `l${i}`, sku: 'SKU-1', description: 'Hat', qty: 1, unit_price: 19.5, extended_price: 19.5 },
    ],
  };
}

test('a bulk drain is not polled back as changes; a later change in Klaviyo is, once', async () => {
  const env = await startFlowEnv({ bulkThreshold: 5 });
  try {
    // Some profiles exist before the drain: they are matched and updated, and must not echo either.
    for (const i of [1, 4, 9])
      await env.client.profiles.create({ email: `echo${i}@example.com`, first_name: 'Old' });
    await env.hub.upsertMany(
      'customer',
      Array.from({ length: 40 }, (_, i) => customer(i)),
    );
    // Orders too: their events touch the same profiles (and move their `updated` again).
    await env.hub.upsertMany(
      'transaction',
      Array.from({ length: 10 }, (_, i) => order(i)),
    );
    await env.drain();
    const sent = await env.transfers();
    assert.equal(sent.filter((t) => t.state === 'succeeded').length, 50);
    assert.equal(env.account.profiles.size, 40);

    const echoes = async () => (await env.transfers()).filter((t) => t.flow === PROFILE_TO_CUSTOMER_FLOW);
    await env.poll();
    assert.deepEqual(
      (await echoes()).map((t) => t.record_id),
      [],
      'no Profile → Customer transfer for what the drain wrote',
    );
    await env.poll();
    assert.equal((await echoes()).length, 0, 'nor on the next poll');

    // A real change in Klaviyo to a field the service writes comes back.
    const changed = env.profileByEmail('echo7@example.com')!;
    await env.client.profiles.update(changed.id, { first_name: 'Changed in Klaviyo' });
    await env.poll();
    assert.deepEqual(
      (await echoes()).map((t) => t.record_id),
      [changed.id],
    );
    // And a change to a field the service does not write comes back too.
    const other = env.profileByEmail('echo12@example.com')!;
    await env.client.profiles.update(other.id, { title: 'Dr' });
    await env.poll();
    assert.deepEqual((await echoes()).map((t) => t.record_id).sort(), [changed.id, other.id].sort());
  } finally {
    await env.close();
  }
});
