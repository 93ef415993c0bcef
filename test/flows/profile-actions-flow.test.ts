import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MappingInput } from '../../src/domain/collections.ts';
import { startFlowEnv } from './helpers.ts';

function onBoth(mappings: MappingInput[]) {
  return { customer_add: mappings, customer_update: mappings };
}

/** A custom field read from the hub customer's own custom field of the same name. */
function fromCustomField(name: string): MappingInput {
  return { destination: name, type: 'dynamic_formula', formula: `$customField("${name}")` };
}

test('SubscribeProfile=true leaves the profile SUBSCRIBED to email marketing', async () => {
  const env = await startFlowEnv({ extraMappings: onBoth([fromCustomField('SubscribeProfile')]) });
  try {
    await env.hub.upsert('customer', {
      id: 'c1',
      email_address: 'sub@example.com',
      custom_fields: [{ custom_field_name: 'SubscribeProfile', value: 'true' }],
    });
    await env.drain();
    const [transfer] = await env.transfers('c1');
    assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
    assert.equal(env.profileByEmail('sub@example.com')?.consents?.emailMarketing?.consent, 'SUBSCRIBED');
    const steps = await env.steps(transfer.id);
    assert.ok(steps.some((step) => /subscribed to email marketing/.test(step.message)));
  } finally {
    await env.close();
  }
});

test('UCLIST_VIP=true puts the profile on list VIP with consent unchanged', async () => {
  const env = await startFlowEnv({ extraMappings: onBoth([fromCustomField('UCLIST_VIP')]) });
  try {
    const vip = await env.client.lists.create('VIP');
    await env.hub.upsert('customer', {
      id: 'c2',
      email_address: 'vip@example.com',
      custom_fields: [{ custom_field_name: 'UCLIST_VIP', value: true }],
    });
    await env.drain();
    const [transfer] = await env.transfers('c2');
    assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
    const profile = env.profileByEmail('vip@example.com')!;
    assert.equal(env.account.lists.get(vip.id)?.members.has(profile.id), true);
    assert.equal(profile.consents?.emailMarketing, undefined, 'consent is unchanged');
  } finally {
    await env.close();
  }
});

test('LIST_News=false removes the profile from News without a global unsubscribe', async () => {
  const env = await startFlowEnv({ extraMappings: onBoth([fromCustomField('LIST_News')]) });
  try {
    const news = await env.client.lists.create('News');
    const other = await env.client.lists.create('Other');
    // Subscribed to News and to email marketing, and on another list.
    await env.hub.upsert('customer', {
      id: 'c3',
      email_address: 'news@example.com',
      custom_fields: [{ custom_field_name: 'LIST_News', value: 'true' }],
    });
    await env.drain();
    const profile = env.profileByEmail('news@example.com')!;
    await env.client.lists.addMembers(other.id, [profile.id]);
    assert.equal(env.account.lists.get(news.id)?.members.has(profile.id), true);
    assert.equal(profile.consents?.emailMarketing?.consent, 'SUBSCRIBED');

    await env.hub.upsert('customer', {
      id: 'c3',
      email_address: 'news@example.com',
      custom_fields: [{ custom_field_name: 'LIST_News', value: 'false' }],
    });
    await env.drain();
    const transfers = await env.transfers('c3');
    assert.ok(transfers.every((t) => t.state === 'succeeded'));
    assert.equal(env.account.lists.get(news.id)?.members.has(profile.id), false, 'removed from News');
    assert.equal(env.account.lists.get(other.id)?.members.has(profile.id), true, 'still on Other');
    assert.equal(profile.consents?.emailMarketing?.consent, 'SUBSCRIBED', 'no global unsubscribe');
  } finally {
    await env.close();
  }
});

test('a missing list fails the record by name, unless the subscription creates missing lists', async () => {
  const strict = await startFlowEnv({
    extraMappings: onBoth([{ destination: 'UCLIST_Ghost', type: 'static', value: true }]),
  });
  try {
    await strict.hub.upsert('customer', { id: 'c4', email_address: 'ghost@example.com' });
    await strict.drain();
    const [transfer] = await strict.transfers('c4');
    assert.equal(transfer.state, 'failed');
    assert.equal(transfer.error_code, 'KLAVIYO_LIST_NOT_FOUND');
    assert.match(transfer.error_message ?? '', /Klaviyo list 'Ghost' not found/);
  } finally {
    await strict.close();
  }
  const lenient = await startFlowEnv({
    subscription: { create_missing_lists: true },
    extraMappings: onBoth([{ destination: 'UCLIST_Ghost', type: 'static', value: true }]),
  });
  try {
    await lenient.hub.upsertMany('customer', [
      { id: 'c5', email_address: 'g1@example.com' },
      { id: 'c6', email_address: 'g2@example.com' },
    ]);
    await lenient.drain();
    const lists = [...lenient.account.lists.values()].filter((list) => list.name === 'Ghost');
    assert.equal(lists.length, 1, 'the list is created once');
    assert.equal(lists[0].members.size, 2);
  } finally {
    await lenient.close();
  }
});

test('with a backlog, consent and list fields of many profiles go in a few batched calls', async () => {
  const env = await startFlowEnv({
    bulkThreshold: 5,
    extraMappings: onBoth([fromCustomField('SubscribeProfile'), fromCustomField('UCLIST_VIP')]),
  });
  try {
    const vip = await env.client.lists.create('VIP');
    await env.hub.upsertMany(
      'customer',
      Array.from({ length: 40 }, (_, i) => ({
        id: `b${i}`,
        email_address: `b${i}@example.com`,
        custom_fields: [
          { custom_field_name: 'SubscribeProfile', value: i % 2 === 0 ? 'true' : 'false' },
          { custom_field_name: 'UCLIST_VIP', value: 'true' },
        ],
      })),
    );
    await env.drain();
    const transfers = await env.transfers();
    assert.ok(
      transfers.every((t) => t.state === 'succeeded'),
      JSON.stringify(transfers.map((t) => t.error_message)),
    );
    const consents = [...env.account.profiles.byId.values()].map((p) => p.consents?.emailMarketing?.consent);
    assert.equal(consents.filter((c) => c === 'SUBSCRIBED').length, 20);
    assert.equal(consents.filter((c) => c === 'UNSUBSCRIBED').length, 20);
    assert.equal(env.account.lists.get(vip.id)?.members.size, 40);
    const counts = env.sandbox.state.requestCounts;
    assert.equal(counts.get('bulk_subscribe_profiles')?.count, 1);
    assert.equal(counts.get('bulk_unsubscribe_profiles')?.count, 1);
    assert.equal(counts.get('add_profiles_to_list')?.count, 1);
  } finally {
    await env.close();
  }
});
