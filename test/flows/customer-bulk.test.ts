import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFlowEnv } from './helpers.ts';

test('with a backlog, customers go through one bulk import job; each gets its own outcome and link', async () => {
  const env = await startFlowEnv({ bulkThreshold: 10 });
  try {
    const existing = await env.client.profiles.create({ email: 'c7@example.com', first_name: 'Old' });
    const customers = Array.from({ length: 60 }, (_, i) => ({
      id: `c${i}`,
      email_address: i === 13 ? 'broken@nodot' : `c${i}@example.com`,
      first_name: `First${i}`,
    }));
    await env.hub.upsertMany('customer', customers);
    await env.drain();

    const transfers = await env.transfers();
    assert.equal(transfers.length, 60);
    const failed = transfers.filter((t) => t.state !== 'succeeded');
    assert.deepEqual(
      failed.map((t) => [t.record_id, t.error_code]),
      [['c13', 'KLAVIYO_EMAIL_INVALID']],
    );
    assert.match(failed[0].error_message ?? '', /email/i);
    // 59 profiles: 58 new and the existing one, updated in place.
    assert.equal(env.account.profiles.size, 59);
    assert.equal(env.account.profiles.byId.get(existing.id)?.first_name, 'First7');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c7'), existing.id);
    for (const i of [0, 42, 59]) {
      const linked = await env.engine.links.klaviyoIdOf('sub-1', 'customer', `c${i}`);
      assert.equal(linked, env.profileByEmail(`c${i}@example.com`)?.id);
    }
    const counts = env.sandbox.state.requestCounts;
    assert.equal(counts.get('create_profile')?.count ?? 0, 1, "no single creates but the test's own");
    assert.ok((counts.get('bulk_import_profiles')?.count ?? 0) >= 1);
    assert.ok((counts.get('bulk_import_profiles')?.count ?? 0) <= 2);
  } finally {
    await env.close();
  }
});

test('a bulk import row refused for conflicting identifiers is resolved by the single path', async () => {
  const env = await startFlowEnv({ bulkThreshold: 5 });
  try {
    // The phone belongs to one profile and the email to another: the import cannot say which to update.
    await env.client.profiles.create({ email: 'owner@example.com' });
    const phoneOwner = await env.client.profiles.create({ phone_number: '+14155550199', external_id: 'x' });
    const customers: Record<string, unknown>[] = Array.from({ length: 8 }, (_, i) => ({
      id: `d${i}`,
      email_address: `d${i}@example.com`,
    }));
    customers.push({
      id: 'clash',
      email_address: 'owner@example.com',
      addresses: [{ is_primary_billing: true, phone_number: '+1 415 555 0199', country: 'US' }],
    });
    await env.hub.upsertMany('customer', customers);
    await env.drain();
    const [clash] = await env.transfers('clash');
    assert.equal(clash.state, 'succeeded', clash.error_message ?? '');
    const steps = await env.steps(clash.id);
    assert.ok(
      steps.some((step) => step.kind === 'warning' && step.message.includes(phoneOwner.id)),
      'a duplicate-prevention warning names the other profile',
    );
    assert.equal(env.profileByEmail('owner@example.com')?.phone_number, undefined);
  } finally {
    await env.close();
  }
});

test('in bulk, a customer linked to a profile deleted in Klaviyo is matched or created again', async () => {
  const env = await startFlowEnv({ bulkThreshold: 3 });
  try {
    await env.hub.upsertMany(
      'customer',
      Array.from({ length: 5 }, (_, i) => ({ id: `g${i}`, email_address: `g${i}@example.com` })),
    );
    await env.drain();
    const gone = (await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'g2'))!;
    env.account.profiles.remove(env.account.profiles.byId.get(gone)!);
    await env.hub.upsertMany(
      'customer',
      Array.from({ length: 5 }, (_, i) => ({
        id: `g${i}`,
        email_address: `g${i}@example.com`,
        first_name: 'Again',
      })),
    );
    await env.drain();
    const latest = (await env.transfers('g2'))[0];
    assert.equal(latest.state, 'succeeded', latest.error_message ?? '');
    const relinked = await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'g2');
    assert.notEqual(relinked, gone);
    assert.equal(env.account.profiles.byId.get(relinked!)?.first_name, 'Again');
    assert.equal(env.account.profiles.size, 5);
  } finally {
    await env.close();
  }
});
