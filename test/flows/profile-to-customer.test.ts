import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Customer } from '../../src/domain/hub.ts';
import { startFlowEnv } from './helpers.ts';

test('a Klaviyo-side name change reaches the linked hub customer by polling, and does not echo back', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('customer', { id: 'c1', email_address: 'ann@example.com', first_name: 'Ann' });
    await env.drain();
    const profileId = (await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c1'))!;
    // Our own write is not read back as a change.
    await env.poll();
    assert.equal((await env.transfers()).filter((t) => t.flow === 'profile-to-customer').length, 0);

    await new Promise((resolve) => setTimeout(resolve, 5));
    await env.client.profiles.update(profileId, { first_name: 'Annabel' });
    await env.poll();
    await env.drain();
    const polled = (await env.transfers()).filter((t) => t.flow === 'profile-to-customer');
    assert.equal(polled.length, 1);
    assert.equal(polled[0].state, 'succeeded', polled[0].error_message ?? '');
    assert.equal(polled[0].record_id, profileId);
    const customer = (await env.hub.get('customer', 'c1')) as Customer;
    assert.equal(customer.first_name, 'Annabel');
    // No echo: the hub write made by the poll queues nothing back to the same subscription.
    assert.equal((await env.transfers('c1')).length, 1);
  } finally {
    await env.close();
  }
});

test('a new Klaviyo profile becomes a linked hub customer with its address and consent', async () => {
  const env = await startFlowEnv();
  try {
    const made = await env.client.profiles.create({
      email: 'new@example.com',
      first_name: 'Nia',
      organization: 'Acme',
      phone_number: '+442079460958',
      location: { address1: '1 High St', city: 'London', country: 'GB', zip: 'N1 1AA' },
    });
    await env.client.subscriptions.subscribe([
      { email: 'new@example.com', subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } } },
    ]);
    await env.sandbox.state.idle();
    await env.poll();
    await env.drain();
    const hubId = (
      await env.store.db
        .selectFrom('links')
        .select('hub_id')
        .where('klaviyo_id', '=', made.id)
        .executeTakeFirst()
    )?.hub_id;
    assert.ok(hubId, 'the profile is linked');
    const customer = (await env.hub.get('customer', hubId)) as Customer;
    assert.equal(customer.email_address, 'new@example.com');
    assert.equal(customer.company, 'Acme');
    assert.equal(customer.addresses?.[0].city, 'London');
    assert.equal(customer.addresses?.[0].phone_number, '+442079460958');
    assert.equal(customer.custom_fields?.find((f) => f.custom_field_name === 'Consent')?.value, 'SUBSCRIBED');
    // A second poll reads the same profile again (overlap) but queues nothing new.
    await env.poll();
    assert.equal((await env.transfers()).filter((t) => t.flow === 'profile-to-customer').length, 1);
  } finally {
    await env.close();
  }
});

test('an unlinked profile whose email is a hub customer updates and links that customer', async () => {
  const env = await startFlowEnv({ scopes: [] });
  try {
    await env.hub.upsert('customer', { id: 'c9', email_address: 'match@example.com', first_name: 'Old' });
    const made = await env.client.profiles.create({ email: 'match@example.com', first_name: 'New' });
    await env.poll();
    await env.drain();
    assert.equal(((await env.hub.get('customer', 'c9')) as Customer).first_name, 'New');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c9'), made.id);
    assert.equal((await env.hub.list('customer')).data.length, 1);
  } finally {
    await env.close();
  }
});

test('manual sync or a notification by profile id reads the profile and writes the customer', async () => {
  const env = await startFlowEnv();
  try {
    const made = await env.client.profiles.create({ email: 'hook@example.com', last_name: 'Hook' });
    await env.store.db.transaction().execute((trx) =>
      env.engine.enqueue(trx, [
        {
          subscription_id: 'sub-1',
          flow: 'profile-to-customer',
          direction: 'to_hub',
          trigger: 'hook',
          record_kind: 'profile',
          record_id: made.id,
        },
        {
          subscription_id: 'sub-1',
          flow: 'profile-to-customer',
          direction: 'to_hub',
          trigger: 'manual',
          record_kind: 'profile',
          record_id: '01NOSUCHPROFILE00000000000',
          debug: true,
        },
      ]),
    );
    await env.drain();
    const [missing] = await env.transfers('01NOSUCHPROFILE00000000000');
    assert.equal(missing.state, 'failed');
    assert.equal(missing.error_code, 'KLAVIYO_NOT_FOUND');
    const [found] = await env.transfers(made.id);
    assert.equal(found.state, 'succeeded', found.error_message ?? '');
    const customers = (await env.hub.list('customer')).data as Customer[];
    assert.equal(customers.length, 1);
    assert.equal(customers[0].last_name, 'Hook');
  } finally {
    await env.close();
  }
});
