// Linking at the floor (docs/flows.md): a bulk drain learns the ids of new and existing profiles with one
// look-up per 100 profiles, and never looks a profile up twice. Calls are counted by the sandbox.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFlowEnv } from './helpers.ts';

const N = 300;
const EXISTING = 60;

function customer(i: number, first = `First${i}`) {
  return {
    id: `k${i}`,
    email_address: `link${i}@example.com`,
    first_name: first,
    addresses: [
      {
        is_primary_billing: true,
        phone_number: i % 2 === 0 ? `(415) 555-${String(2000 + i)}` : null,
        city: 'Oakland',
        country: 'US',
      },
    ],
  };
}

test(`a bulk drain of ${N} customers (${EXISTING} already in Klaviyo) makes at most ceil(N/100)+1 look-ups`, async () => {
  const env = await startFlowEnv({ bulkThreshold: 10 });
  try {
    const before = new Map<string, string>();
    for (let i = 0; i < EXISTING; i++) {
      const profile = await env.client.profiles.create({
        email: `link${i * 5}@example.com`,
        first_name: 'Old',
      });
      before.set(`k${i * 5}`, profile.id);
    }
    const lookupsBefore = env.sandbox.state.requestCounts.get('get_profiles')?.count ?? 0;
    await env.hub.upsertMany(
      'customer',
      Array.from({ length: N }, (_, i) => customer(i)),
    );
    await env.drain();

    const transfers = await env.transfers();
    assert.equal(transfers.filter((t) => t.state === 'succeeded').length, N);
    assert.equal(env.account.profiles.size, N, 'existing profiles were updated, not duplicated');
    for (let i = 0; i < N; i++) {
      const linked = await env.engine.links.klaviyoIdOf('sub-1', 'customer', `k${i}`);
      assert.equal(linked, env.profileByEmail(`link${i}@example.com`)?.id, `k${i} linked to its profile`);
      if (before.has(`k${i}`)) assert.equal(linked, before.get(`k${i}`));
    }
    assert.equal(env.profileByEmail('link5@example.com')?.first_name, 'First5');
    const lookups = (env.sandbox.state.requestCounts.get('get_profiles')?.count ?? 0) - lookupsBefore;
    assert.ok(lookups <= Math.ceil(N / 100) + 1, `${lookups} look-ups for ${N} profiles`);

    // Linked customers changed again: the import names their profiles, nothing is looked up.
    await env.hub.upsertMany(
      'customer',
      Array.from({ length: N }, (_, i) => customer(i, `Again${i}`)),
    );
    await env.drain();
    const again = (env.sandbox.state.requestCounts.get('get_profiles')?.count ?? 0) - lookupsBefore - lookups;
    assert.equal(again, 0, 'no look-up for linked profiles');
    assert.equal(env.profileByEmail('link8@example.com')?.first_name, 'Again8');
  } finally {
    await env.close();
  }
});
