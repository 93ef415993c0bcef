import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFlowEnv } from './helpers.ts';

test('a new customer becomes a profile, linked, with an E.164 phone from its billing address', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('customer', {
      id: 'c1',
      email_address: 'ann@example.com',
      first_name: 'Ann',
      last_name: 'Lee',
      addresses: [
        { is_primary_billing: true, phone_number: '(415) 555-2671', country: 'US', city: 'San Francisco' },
      ],
    });
    await env.drain();
    const [transfer] = await env.transfers('c1');
    assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
    const profile = env.profileByEmail('ann@example.com');
    assert.ok(profile);
    assert.equal(profile.first_name, 'Ann');
    assert.equal(profile.phone_number, '+14155552671');
    assert.equal(profile.location?.city, 'San Francisco');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c1'), profile.id);
  } finally {
    await env.close();
  }
});

test('an unlinked customer whose email is already in Klaviyo is linked and updated, not duplicated', async () => {
  const env = await startFlowEnv();
  try {
    const existing = await env.client.profiles.create({ email: 'bob@example.com', first_name: 'Robert' });
    await env.hub.upsert('customer', { id: 'c2', email_address: 'Bob@Example.com', first_name: 'Bob' });
    await env.drain();
    const [transfer] = await env.transfers('c2');
    assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
    assert.equal(env.account.profiles.size, 1);
    assert.equal(env.account.profiles.byId.get(existing.id)?.first_name, 'Bob');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c2'), existing.id);
    const steps = await env.steps(transfer.id);
    assert.ok(steps.some((step) => /found by email; it is updated, not duplicated/.test(step.message)));
  } finally {
    await env.close();
  }
});

test('an unlinked customer found by phone alone is linked to that profile', async () => {
  const env = await startFlowEnv();
  try {
    const existing = await env.client.profiles.create({ phone_number: '+14155550123', external_id: 'pos-1' });
    await env.hub.upsert('customer', {
      id: 'c3',
      email_address: 'cat@example.com',
      addresses: [{ is_primary_billing: true, phone_number: '415-555-0123', country: 'US' }],
    });
    await env.drain();
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c3'), existing.id);
    assert.equal(env.account.profiles.size, 1);
    assert.equal(env.account.profiles.byId.get(existing.id)?.email, 'cat@example.com');
  } finally {
    await env.close();
  }
});

test('an invalid phone is dropped with a warning and the profile still goes', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('customer', {
      id: 'c4',
      email_address: 'dan@example.com',
      addresses: [{ is_primary_billing: true, phone_number: '555-12', country: 'US' }],
    });
    await env.drain();
    const [transfer] = await env.transfers('c4');
    assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
    const profile = env.profileByEmail('dan@example.com');
    assert.ok(profile);
    assert.equal(profile.phone_number, undefined);
    const warnings = (await env.steps(transfer.id)).filter((step) => step.kind === 'warning');
    assert.ok(warnings.length > 0, 'a warning step is logged');
    assert.ok(warnings.some((step) => /555-12/.test(step.message)));
  } finally {
    await env.close();
  }
});

test('a later change to a linked customer patches the same profile', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('customer', { id: 'c5', email_address: 'eve@example.com', first_name: 'Eve' });
    await env.drain();
    const id = await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c5');
    await env.hub.upsert('customer', { id: 'c5', email_address: 'eve@example.com', first_name: 'Evelyn' });
    await env.drain();
    assert.equal(env.account.profiles.size, 1);
    assert.equal(env.account.profiles.byId.get(id!)?.first_name, 'Evelyn');
    const transfers = await env.transfers('c5');
    assert.deepEqual(
      transfers.map((t) => t.state),
      ['succeeded', 'succeeded'],
    );
  } finally {
    await env.close();
  }
});

test('a customer with no email and no usable phone fails with what to fix', async () => {
  const env = await startFlowEnv();
  try {
    await env.hub.upsert('customer', { id: 'c6', first_name: 'Nobody' });
    await env.drain();
    const [transfer] = await env.transfers('c6');
    assert.equal(transfer.state, 'failed');
    assert.equal(transfer.error_code, 'MAPPING_REQUIRED_FIELD_MISSING');
    assert.match(transfer.error_message ?? '', /email/);
    assert.equal(env.account.profiles.size, 0);
  } finally {
    await env.close();
  }
});

test('a phone match whose profile has another email is linked with a duplicate-prevention warning', async () => {
  const env = await startFlowEnv();
  try {
    const existing = await env.client.profiles.create({
      email: 'spouse@example.com',
      phone_number: '+14155550177',
    });
    await env.hub.upsert('customer', {
      id: 'c7',
      email_address: 'partner@example.com',
      addresses: [{ is_primary_billing: true, phone_number: '415 555 0177', country: 'US' }],
    });
    await env.drain();
    const [transfer] = await env.transfers('c7');
    assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'customer', 'c7'), existing.id);
    const warnings = (await env.steps(transfer.id)).filter((step) => step.kind === 'warning');
    assert.ok(
      warnings.some(
        (step) => step.message.includes('spouse@example.com') && step.message.includes(existing.id),
      ),
    );
  } finally {
    await env.close();
  }
});
