// Collision handling of the Add collections (docs/mappings.md), through the real engine, flows
// and sandbox: an unlinked customer whose profile already exists in Klaviyo (found by the lookup, or by
// Klaviyo's 409 duplicate_profile when the email cannot be looked up), and an unlinked profile whose email
// is already a hub customer's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Customer } from '../../src/domain/hub.ts';
import { collisionHandlingMigration } from '../../src/store/migrations/0301_collision_handling.ts';
import { addSubscriptionRows } from '../helpers/subscriptions.ts';
import { startFlowEnv } from './helpers.ts';

// A quote keeps an email out of the lookup filter, so the create meets Klaviyo's 409 instead.
const UNSAFE_EMAIL = "o'neil@example.com";

async function profileLinkOwners(env: Awaited<ReturnType<typeof startFlowEnv>>, profileId: string) {
  const rows = await env.store.db
    .selectFrom('links')
    .select('hub_id')
    .where('klaviyo_id', '=', profileId)
    .orderBy('hub_id')
    .execute();
  return rows.map((row) => row.hub_id);
}

test('Customer → Profile, error: a customer matching an existing profile fails with RECORD_COLLISION', async () => {
  const env = await startFlowEnv({ collisionHandling: { customer_add: 'error' } });
  try {
    const existing = await env.client.profiles.create({ email: 'bob@example.com', first_name: 'Robert' });
    await env.hub.upsert('customer', { id: 'c1', email_address: 'bob@example.com', first_name: 'Bob' });
    await env.drain();
    const [transfer] = await env.transfers('c1');
    assert.equal(transfer.state, 'failed');
    assert.equal(transfer.error_code, 'RECORD_COLLISION');
    assert.match(transfer.error_message ?? '', new RegExp(`Klaviyo profile ${existing.id}`));
    assert.match(transfer.error_message ?? '', /found by email/);
    assert.match(transfer.error_message ?? '', /update_and_link/);
    assert.equal(env.account.profiles.byId.get(existing.id)?.first_name, 'Robert', 'nothing was sent');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c1'), null);
    assert.equal(env.account.profiles.size, 1);
  } finally {
    await env.close();
  }
});

test("Customer → Profile, error: Klaviyo's 409 duplicate_profile on create fails with RECORD_COLLISION", async () => {
  const env = await startFlowEnv({ collisionHandling: { customer_add: 'error' } });
  try {
    const existing = await env.client.profiles.create({ email: UNSAFE_EMAIL, first_name: 'Old' });
    await env.hub.upsert('customer', { id: 'c2', email_address: UNSAFE_EMAIL, first_name: 'New' });
    await env.drain();
    const [transfer] = await env.transfers('c2');
    assert.equal(transfer.state, 'failed');
    assert.equal(transfer.error_code, 'RECORD_COLLISION');
    assert.match(transfer.error_message ?? '', new RegExp(`Klaviyo profile ${existing.id}`));
    assert.match(transfer.error_message ?? '', /duplicate_profile/);
    assert.equal(env.account.profiles.byId.get(existing.id)?.first_name, 'Old');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c2'), null);
  } finally {
    await env.close();
  }
});

test('Customer → Profile, update_and_link: the 409 path links and updates the existing profile', async () => {
  const env = await startFlowEnv();
  try {
    const existing = await env.client.profiles.create({ email: UNSAFE_EMAIL, first_name: 'Old' });
    await env.hub.upsert('customer', { id: 'c3', email_address: UNSAFE_EMAIL, first_name: 'New' });
    await env.drain();
    const [transfer] = await env.transfers('c3');
    assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
    assert.equal(env.account.profiles.byId.get(existing.id)?.first_name, 'New');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c3'), existing.id);
    assert.equal(env.account.profiles.size, 1);
  } finally {
    await env.close();
  }
});

test('Customer → Profile, update_no_link: the existing profile is updated every time but never linked', async () => {
  const env = await startFlowEnv({ collisionHandling: { customer_add: 'update_no_link' } });
  try {
    const existing = await env.client.profiles.create({ email: 'cy@example.com', first_name: 'Cyrus' });
    await env.hub.upsert('customer', { id: 'c4', email_address: 'cy@example.com', first_name: 'Cy' });
    await env.drain();
    assert.equal(env.account.profiles.byId.get(existing.id)?.first_name, 'Cy');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c4'), null);
    const [first] = await env.transfers('c4');
    assert.equal(first.state, 'succeeded', first.error_message ?? '');
    const steps = await env.steps(first.id);
    assert.ok(steps.some((step) => /not linked \(collision handling update_no_link\)/.test(step.message)));

    // The next change is matched again, not created.
    await env.hub.upsert('customer', { id: 'c4', email_address: 'cy@example.com', first_name: 'Cyril' });
    await env.drain();
    assert.equal(env.account.profiles.byId.get(existing.id)?.first_name, 'Cyril');
    assert.equal(env.account.profiles.size, 1);
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c4'), null);

    // The 409 path behaves alike.
    const other = await env.client.profiles.create({ email: UNSAFE_EMAIL, first_name: 'Old' });
    await env.hub.upsert('customer', { id: 'c5', email_address: UNSAFE_EMAIL, first_name: 'New' });
    await env.drain();
    const [viaConflict] = await env.transfers('c5');
    assert.equal(viaConflict.state, 'succeeded', viaConflict.error_message ?? '');
    assert.equal(env.account.profiles.byId.get(other.id)?.first_name, 'New');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c5'), null);
  } finally {
    await env.close();
  }
});

test('Customer → Profile, remove_and_link: the profile is taken from the customer that held it', async () => {
  const env = await startFlowEnv({ collisionHandling: { customer_add: 'remove_and_link' } });
  try {
    await env.hub.upsert('customer', { id: 'c6', email_address: 'dee@example.com', first_name: 'Dee' });
    await env.drain();
    const profileId = (await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c6'))!;
    assert.ok(profileId);
    // A second hub customer with the same email claims the profile.
    await env.hub.upsert('customer', { id: 'c7', email_address: 'dee@example.com', first_name: 'Deirdre' });
    await env.drain();
    const [transfer] = await env.transfers('c7');
    assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
    assert.deepEqual(await profileLinkOwners(env, profileId), ['c7']);
    assert.equal(env.account.profiles.byId.get(profileId)?.first_name, 'Deirdre');
    assert.equal(env.account.profiles.size, 1);
    const steps = await env.steps(transfer.id);
    assert.ok(steps.some((step) => /Removed the link of hub customer c6/.test(step.message)));
  } finally {
    await env.close();
  }
});

test('Customer → Profile, update_and_link: a second customer with the profile’s email shares it', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('customer', { id: 'c8', email_address: 'eve@example.com' });
    await env.drain();
    const profileId = (await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c8'))!;
    await env.hub.upsert('customer', { id: 'c9', email_address: 'eve@example.com' });
    await env.drain();
    assert.deepEqual(await profileLinkOwners(env, profileId), ['c8', 'c9']);
  } finally {
    await env.close();
  }
});

test('Profile → Customer, error: a profile whose email is a hub customer fails with RECORD_COLLISION', async () => {
  const env = await startFlowEnv({ scopes: [], collisionHandling: { profile_add: 'error' } });
  try {
    await env.hub.upsert('customer', { id: 'h1', email_address: 'match@example.com', first_name: 'Old' });
    const made = await env.client.profiles.create({ email: 'match@example.com', first_name: 'New' });
    await env.poll();
    await env.drain();
    const [transfer] = await env.transfers(made.id);
    assert.equal(transfer.state, 'failed');
    assert.equal(transfer.error_code, 'RECORD_COLLISION');
    assert.match(transfer.error_message ?? '', /hub customer h1/);
    assert.match(transfer.error_message ?? '', new RegExp(`Klaviyo profile ${made.id}`));
    assert.equal(((await env.hub.get('customer', 'h1')) as Customer).first_name, 'Old');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'h1'), null);
    assert.equal((await env.hub.list('customer')).data.length, 1);
  } finally {
    await env.close();
  }
});

test('Profile → Customer, update_no_link: the matched customer is updated, the profile stays unlinked', async () => {
  const env = await startFlowEnv({ scopes: [], collisionHandling: { profile_add: 'update_no_link' } });
  try {
    await env.hub.upsert('customer', { id: 'h2', email_address: 'nolink@example.com', first_name: 'Old' });
    const made = await env.client.profiles.create({ email: 'nolink@example.com', first_name: 'New' });
    await env.poll();
    await env.drain();
    const [transfer] = await env.transfers(made.id);
    assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
    assert.equal(((await env.hub.get('customer', 'h2')) as Customer).first_name, 'New');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'h2'), null);
    assert.equal((await env.hub.list('customer')).data.length, 1);
  } finally {
    await env.close();
  }
});

test('Profile → Customer, remove_and_link vs update_and_link: a customer linked elsewhere', async () => {
  for (const handling of ['remove_and_link', 'update_and_link'] as const) {
    const env = await startFlowEnv({ scopes: [], collisionHandling: { profile_add: handling } });
    try {
      await env.hub.upsert('customer', { id: 'h3', email_address: 'taken@example.com', first_name: 'Old' });
      await env.engine.links.set([
        {
          subscription_id: 'sub-1',
          table_name: 'customer',
          hub_id: 'h3',
          klaviyo_id: '01FORMERPROFILE0000000000',
        },
      ]);
      const made = await env.client.profiles.create({ email: 'taken@example.com', first_name: 'New' });
      await env.poll();
      await env.drain();
      const [transfer] = await env.transfers(made.id);
      assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
      assert.equal(((await env.hub.get('customer', 'h3')) as Customer).first_name, 'New');
      const link = await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'h3');
      const steps = (await env.steps(transfer.id)).map((step) => step.message);
      if (handling === 'remove_and_link') {
        assert.equal(link, made.id, 'the link moves to the new profile');
        assert.ok(steps.some((m) => /replacing its link to Klaviyo profile 01FORMERPROFILE/.test(m)));
      } else {
        assert.equal(link, '01FORMERPROFILE0000000000', 'the existing link is kept');
        assert.ok(steps.some((m) => /Duplicate prevention/.test(m)));
      }
    } finally {
      await env.close();
    }
  }
});

test('the upgrade sets stored customer Add collections from error to update_and_link, and nothing else', async () => {
  const env = await startFlowEnv();
  try {
    await addSubscriptionRows(env.store.db, { id: 'sub-1', name: 'Sub sub-1' });
    const at = new Date().toISOString();
    const row = (id: string, type: string, direction: string, syncType: string, handling: string) => ({
      id,
      subscription_id: 'sub-1',
      name: id,
      type,
      direction,
      sync_type: syncType,
      parent_id: null,
      mapping_filter: null,
      error_filter: null,
      error_message: null,
      collision_handling: handling,
      enabled: 1,
      sort_order: 0,
      description: null,
      created_at: at,
      updated_at: at,
    });
    await env.store.db
      .insertInto('mapping_collections')
      .values([
        row('customer-add', 'customer', 'from_hub', 'add', 'error'),
        row('profile-add', 'customer', 'to_hub', 'add_and_update', 'error'),
        row('customer-update', 'customer', 'from_hub', 'update', 'error'),
        row('customer-add-nolink', 'customer', 'from_hub', 'add', 'update_no_link'),
        row('order-add', 'transaction', 'from_hub', 'add', 'error'),
      ])
      .execute();
    await collisionHandlingMigration.up(env.store.db, env.store.kind);
    const stored = await env.store.db
      .selectFrom('mapping_collections')
      .select(['id', 'collision_handling'])
      .orderBy('id')
      .execute();
    assert.deepEqual(Object.fromEntries(stored.map((r) => [r.id, r.collision_handling])), {
      'customer-add': 'update_and_link',
      'customer-add-nolink': 'update_no_link',
      'customer-update': 'error',
      'order-add': 'error',
      'profile-add': 'update_and_link',
    });
  } finally {
    await env.close();
  }
});
