// Batches as large as Klaviyo takes: a backlog of customers goes to Klaviyo in import jobs of up to 10,000
// profiles, not in many small ones (each job costs a call on the 150/min job tier and its status reads).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFlowEnv } from './helpers.ts';

test('a backlog of 4,500 customers goes in one bulk import job', async () => {
  const env = await startFlowEnv({ bulkThreshold: 10 });
  try {
    const customers = Array.from({ length: 4500 }, (_, i) => ({
      id: `b${i}`,
      email_address: `b${i}@example.com`,
    }));
    for (let i = 0; i < customers.length; i += 1500)
      await env.hub.upsertMany('customer', customers.slice(i, i + 1500));
    await env.drain();
    assert.equal(env.account.profiles.size, 4500);
    assert.equal(env.sandbox.state.requestCounts.get('bulk_import_profiles')?.count, 1);
    assert.ok(
      (env.sandbox.state.requestCounts.get('get_profiles')?.count ?? 0) <= 46,
      'ids read back, 100 a call',
    );
  } finally {
    await env.close();
  }
});
