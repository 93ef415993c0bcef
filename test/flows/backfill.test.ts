// History is sent as history (docs/flows.md, "History: backfill and historical consent"): order events older
// than the subscription's backfill window go with `backfill: true`, dated consent goes as a historical
// import with its `consented_at`, and a transfer marked as a backfill (a manual sync) does both. Klaviyo's
// side is read back from the sandbox's own state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MappingInput } from '../../src/domain/collections.ts';
import { startFlowEnv, SUBSCRIPTION } from './helpers.ts';

const HOUR = 3_600_000;

function order(id: string, createdAt: Date, extra: Record<string, unknown> = {}) {
  return {
    id,
    transaction_number: `#${id}`,
    email_address: `${id.toLowerCase()}@example.com`,
    status: 'pending',
    currency: 'USD',
    total: 10,
    created_datetime: createdAt.toISOString(),
    lines: [{ id: 'L1', sku: 'A', description: 'Apple', qty: 1, unit_price: 10, extended_price: 10 }],
    ...extra,
  };
}

const fromCustomField = (name: string): MappingInput => ({
  destination: name,
  type: 'dynamic_formula',
  formula: `$customField("${name}")`,
});
const consentMappings = [fromCustomField('SubscribeProfile'), fromCustomField('ConsentedAt')];
const onBoth = { customer_add: consentMappings, customer_update: consentMappings };

function eventsOfOrder(env: Awaited<ReturnType<typeof startFlowEnv>>, orderId: string) {
  return [...env.eventsOf('Placed Order'), ...env.eventsOf('Ordered Product')].filter(
    (event) => event.uniqueId === orderId || event.uniqueId.startsWith(`${orderId}:`),
  );
}

test('an order older than the backfill window goes as backfill; a recent one triggers flows as before', async () => {
  const env = await startFlowEnv({ subscription: { backfill_window_hours: 24 } });
  try {
    await env.hub.upsert('transaction', order('OLD', new Date(Date.now() - 30 * 24 * HOUR)));
    await env.hub.upsert('transaction', order('NEW', new Date(Date.now() - HOUR)));
    await env.drain();
    for (const t of await env.transfers()) assert.equal(t.state, 'succeeded', t.error_message ?? '');
    const old = eventsOfOrder(env, 'OLD');
    const recent = eventsOfOrder(env, 'NEW');
    assert.equal(old.length, 2, 'Placed Order and Ordered Product of the old order');
    assert.equal(recent.length, 2);
    assert.deepEqual(
      old.map((e) => e.backfill),
      [true, true],
    );
    assert.deepEqual(
      recent.map((e) => e.backfill),
      [false, false],
    );
    const [oldTransfer] = await env.transfers('OLD');
    const steps = await env.steps(oldTransfer.id);
    assert.ok(
      steps.some((s) => /backfill/i.test(s.message)),
      steps.map((s) => s.message).join('\n'),
    );
  } finally {
    await env.close();
  }
});

test('in bulk, old orders go as backfill too', async () => {
  const env = await startFlowEnv({ bulkThreshold: 2, subscription: { backfill_window_hours: 24 } });
  try {
    const old = new Date(Date.now() - 3 * 24 * HOUR);
    await env.hub.upsertMany('transaction', [order('B1', old), order('B2', old), order('B3', new Date())]);
    await env.drain();
    assert.deepEqual(
      eventsOfOrder(env, 'B1').map((e) => e.backfill),
      [true, true],
    );
    assert.deepEqual(
      eventsOfOrder(env, 'B3').map((e) => e.backfill),
      [false, false],
    );
  } finally {
    await env.close();
  }
});

test('a backfill window of 0 sends old orders as live events (off, when set explicitly)', async () => {
  const env = await startFlowEnv({ subscription: { backfill_window_hours: 0 } });
  try {
    await env.hub.upsert('transaction', order('OFF', new Date(Date.now() - 30 * 24 * HOUR)));
    await env.drain();
    const events = eventsOfOrder(env, 'OFF');
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.backfill === false));
  } finally {
    await env.close();
  }
});

test('consent with a date in the hub goes as a historical import with that consented_at', async () => {
  const env = await startFlowEnv({ extraMappings: onBoth });
  try {
    await env.hub.upsert('customer', {
      id: 'dated',
      email_address: 'dated@example.com',
      custom_fields: [
        { custom_field_name: 'SubscribeProfile', value: 'true' },
        { custom_field_name: 'ConsentedAt', value: '2024-03-05T08:09:10Z' },
      ],
    });
    await env.hub.upsert('customer', {
      id: 'undated',
      email_address: 'undated@example.com',
      custom_fields: [{ custom_field_name: 'SubscribeProfile', value: 'true' }],
    });
    await env.drain();
    for (const t of await env.transfers()) assert.equal(t.state, 'succeeded', t.error_message ?? '');
    const dated = env.profileByEmail('dated@example.com')?.consents?.emailMarketing;
    assert.equal(dated?.consent, 'SUBSCRIBED');
    assert.equal(dated?.historicalImport, true);
    assert.equal(dated?.consentedAt, Date.parse('2024-03-05T08:09:10Z'));
    const undated = env.profileByEmail('undated@example.com')?.consents?.emailMarketing;
    assert.equal(undated?.consent, 'SUBSCRIBED');
    assert.notEqual(undated?.historicalImport, true, 'consent without a date is sent as given now');
    const [transfer] = await env.transfers('dated');
    const steps = await env.steps(transfer.id);
    assert.ok(
      steps.some((s) => /historical import/.test(s.message) && s.message.includes('2024-03-05T08:09:10')),
      steps.map((s) => s.message).join('\n'),
    );
  } finally {
    await env.close();
  }
});

test('a consent date that is not a date fails the record and names the field', async () => {
  const env = await startFlowEnv({ extraMappings: onBoth });
  try {
    await env.hub.upsert('customer', {
      id: 'bad-date',
      email_address: 'bad-date@example.com',
      custom_fields: [
        { custom_field_name: 'SubscribeProfile', value: 'true' },
        { custom_field_name: 'ConsentedAt', value: 'last spring' },
      ],
    });
    await env.drain();
    const [transfer] = await env.transfers('bad-date');
    assert.equal(transfer.state, 'failed');
    assert.match(transfer.error_message ?? '', /ConsentedAt/);
    assert.match(transfer.error_message ?? '', /date/);
  } finally {
    await env.close();
  }
});

test('a transfer marked as a backfill sends recent orders as backfill and consent as a historical import', async () => {
  const env = await startFlowEnv({ extraMappings: onBoth, subscription: { backfill_window_hours: 24 } });
  try {
    await env.hub.upsert('transaction', order('MANUAL', new Date(Date.now() - HOUR)));
    await env.hub.upsert('customer', {
      id: 'manual-c',
      email_address: 'manual-c@example.com',
      custom_fields: [{ custom_field_name: 'SubscribeProfile', value: 'true' }],
    });
    // Only the manual transfers run: the hub's own transfers are replaced by backfill ones.
    await env.store.db.deleteFrom('transfers').execute();
    await env.engine.enqueue(env.store.db, [
      {
        subscription_id: SUBSCRIPTION,
        flow: 'transaction-to-events',
        direction: 'from_hub',
        trigger: 'manual',
        record_kind: 'transaction',
        record_id: 'MANUAL',
        payload: { backfill: true },
        collapse: false,
      },
      {
        subscription_id: SUBSCRIPTION,
        flow: 'customer-to-profile',
        direction: 'from_hub',
        trigger: 'manual',
        record_kind: 'customer',
        record_id: 'manual-c',
        payload: { backfill: true },
        collapse: false,
      },
    ]);
    await env.drain();
    for (const t of await env.transfers()) assert.equal(t.state, 'succeeded', t.error_message ?? '');
    const events = eventsOfOrder(env, 'MANUAL');
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.backfill === true));
    const consent = env.profileByEmail('manual-c@example.com')?.consents?.emailMarketing;
    assert.equal(consent?.consent, 'SUBSCRIBED');
    assert.equal(consent?.historicalImport, true);
    // No date in the hub: the hub's last write of the record is the latest time the consent is known to
    // have held.
    const stored = (await env.hub.getMany('customer', ['manual-c'])).get('manual-c') as {
      updated_datetime: string;
    };
    assert.equal(consent?.consentedAt, Date.parse(stored.updated_datetime));
  } finally {
    await env.close();
  }
});
