import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadCompiledCollections } from '../../src/mapping/store.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

describe('collection routes', () => {
  let svc: TestService;
  let subscriptionId: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read freely
  let collections: any[];
  const byName = (name: string) => collections.find((c) => c.name === name);

  before(async () => {
    svc = await startTestService();
    const made = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Mappings',
      default_phone_country: 'US',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    subscriptionId = made.body.id;
    const listed = await svc.api('GET', `/api/v1/subscriptions/${subscriptionId}/collections`);
    assert.equal(listed.status, 200);
    collections = listed.body.data;
  });
  after(async () => {
    await svc?.close();
  });

  test('a new subscription gets the default collections; without the option it gets none', async () => {
    assert.equal(collections.length, 9);
    assert.equal(
      byName('Add Klaviyo Ordered Product Event FROM hub').parent_id,
      byName('Add Klaviyo Placed Order Event FROM hub').id,
    );
    const bare = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Bare',
      create_default_mappings: false,
    });
    assert.equal(bare.status, 201);
    const none = await svc.api('GET', `/api/v1/subscriptions/${bare.body.id}/collections`);
    assert.deepEqual(none.body, { data: [], next_cursor: null });
    const missing = await svc.api('GET', '/api/v1/subscriptions/nope/collections');
    assert.equal(missing.status, 404);
  });

  test('create, read, replace and delete a collection', async () => {
    const input = {
      name: 'Add Klaviyo Catalog Item FROM hub',
      type: 'product',
      direction: 'from_hub',
      sync_type: 'add',
      mappings: [
        { destination: 'external_id', type: 'field', source: 'sku' },
        { destination: 'title', type: 'field', source: 'name' },
      ],
    };
    const made = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/collections`, input);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.subscription_id, subscriptionId);
    assert.equal(made.body.enabled, true);
    const read = await svc.api('GET', `/api/v1/collections/${made.body.id}`);
    assert.deepEqual(read.body.mappings, input.mappings);
    const put = await svc.api('PUT', `/api/v1/collections/${made.body.id}`, {
      ...input,
      mappings: [...input.mappings, { destination: 'price', type: 'field', source: 'default_price' }],
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.mappings.length, 3);
    const compiled = await loadCompiledCollections(svc.ctx.store.db, subscriptionId);
    assert.ok(compiled.some((c) => c.id === made.body.id));
    assert.equal((await svc.api('DELETE', `/api/v1/collections/${made.body.id}`)).status, 204);
    assert.equal((await svc.api('GET', `/api/v1/collections/${made.body.id}`)).status, 404);
    assert.equal((await svc.api('PUT', `/api/v1/collections/${made.body.id}`, input)).status, 404);
  });

  test('a collection read with GET can be changed and sent back with PUT as it is', async () => {
    const list = await svc.api('GET', `/api/v1/subscriptions/${subscriptionId}/collections`);
    const original = list.body.data.find((c: { name: string }) => c.name === 'Add Klaviyo Profile FROM hub');
    assert.ok(original, 'the default collection exists');
    const read = await svc.api('GET', `/api/v1/collections/${original.id}`);
    const edited = { ...read.body, description: 'edited after a GET' };
    const put = await svc.api('PUT', `/api/v1/collections/${original.id}`, edited);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.description, 'edited after a GET');
    assert.equal(put.body.collision_handling, read.body.collision_handling);
    assert.deepEqual(put.body.mappings, read.body.mappings);
    assert.equal(put.body.created_at, read.body.created_at);
    const elsewhere = await svc.api('PUT', `/api/v1/collections/${original.id}`, {
      ...edited,
      id: 'another',
    });
    assert.equal(elsewhere.status, 400);
    assert.equal(elsewhere.body.error.code, 'VALIDATION_FAILED');
    assert.equal(elsewhere.body.error.field, 'id');
  });

  test('saving refuses what validation refuses, naming the mapping', async () => {
    const base = { name: 'Bad', type: 'customer', direction: 'from_hub', sync_type: 'update' };
    const unknown = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/collections`, {
      ...base,
      mappings: [
        { destination: 'email', type: 'field', source: 'email_address' },
        { destination: 'nickname', type: 'static', value: 'x' },
      ],
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'MAPPING_UNKNOWN_FIELD');
    assert.equal(unknown.body.error.field, 'mappings[1].destination');
    const formula = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/collections`, {
      ...base,
      mappings: [{ destination: 'email', type: 'dynamic_formula', formula: 'first_name &' }],
    });
    assert.equal(formula.body.error.code, 'MAPPING_FORMULA_INVALID');
    assert.equal(formula.body.error.field, 'mappings[0].formula');
    assert.match(formula.body.error.message, /line 1, column/);
    const duplicate = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/collections`, {
      ...base,
      sync_type: 'add',
      mappings: [],
    });
    assert.equal(duplicate.body.error.code, 'MAPPING_DUPLICATE_ADD_COLLECTION');
    const malformed = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/collections`, {
      ...base,
      type: 'order',
      mappings: [],
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.field, 'type');
    const parent = byName('Add Klaviyo Placed Order Event FROM hub');
    const conflict = await svc.api('DELETE', `/api/v1/collections/${parent.id}`);
    assert.equal(conflict.status, 409);
  });

  test('preview an inline record: payload and custom-field actions, nothing sent', async () => {
    const add = byName('Add Klaviyo Profile FROM hub');
    const answer = await svc.api('POST', `/api/v1/collections/${add.id}/preview`, {
      record: {
        id: 'C-9',
        email_address: 'inline@example.com',
        addresses: [{ phone_number: '212 555 0147', is_primary_billing: true }],
      },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.payload, { email: 'inline@example.com', phone_number: '+12125550147' });
    assert.deepEqual(answer.body.actions, []);
    const failing = await svc.api('POST', `/api/v1/collections/${add.id}/preview`, {
      record: { id: 'C-10' },
    });
    assert.equal(failing.status, 400);
    assert.equal(failing.body.error.code, 'MAPPING_REQUIRED_FIELD_MISSING');
    const bad = await svc.api('POST', `/api/v1/collections/${add.id}/preview`, { nothing: 1 });
    assert.equal(bad.status, 400);
  });

  test('preview a hub record by id, its children, and a skip', async () => {
    const order = {
      id: 'T-77',
      transaction_number: 'SO-77',
      email_address: 'buyer@example.com',
      status: 'pending',
      currency: 'USD',
      total: 30,
      lines: [
        { id: 'L-1', sku: 'A', description: 'Thing A', qty: 1, unit_price: 10, extended_price: 10 },
        { id: 'L-2', sku: 'B', description: 'Thing B', qty: 2, unit_price: 10, extended_price: 20 },
      ],
    };
    const stored = await svc.api('POST', '/api/v1/transactions', order);
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    const placed = await svc.api(
      'POST',
      `/api/v1/collections/${byName('Add Klaviyo Placed Order Event FROM hub').id}/preview`,
      {
        record_id: 'T-77',
      },
    );
    assert.equal(placed.status, 200, JSON.stringify(placed.body));
    assert.equal(placed.body.payload.metric, 'Placed Order');
    assert.deepEqual(placed.body.payload.properties.ItemNames, ['Thing A', 'Thing B']);
    assert.deepEqual(
      placed.body.children[0].items.map((i: { payload: { unique_id: string } }) => i.payload.unique_id),
      ['T-77:L-1', 'T-77:L-2'],
    );
    const lines = await svc.api(
      'POST',
      `/api/v1/collections/${byName('Add Klaviyo Ordered Product Event FROM hub').id}/preview`,
      {
        record_id: 'T-77',
      },
    );
    assert.equal(lines.body.items.length, 2);
    assert.equal(lines.body.payload.properties['Order Qty'], 1);
    const status = await svc.api(
      'POST',
      `/api/v1/collections/${byName('Add Klaviyo Order Status Event FROM hub').id}/preview`,
      {
        record_id: 'T-77',
      },
    );
    assert.match(status.body.skipped, /gave no event name/);
    const gone = await svc.api(
      'POST',
      `/api/v1/collections/${byName('Add Klaviyo Placed Order Event FROM hub').id}/preview`,
      {
        record_id: 'T-404',
      },
    );
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'RECORD_NOT_FOUND');
  });

  test('the OpenAPI document describes the collection routes', async () => {
    const doc = await (await fetch(`${svc.baseUrl}/docs/json`)).json();
    assert.ok(doc.paths['/api/v1/subscriptions/{id}/collections']?.post, 'create is documented');
    assert.ok(doc.paths['/api/v1/collections/{id}/preview']?.post, 'preview is documented');
  });

  test('preview a Klaviyo profile given inline as the API returns it (TO hub)', async () => {
    const answer = await svc.api(
      'POST',
      `/api/v1/collections/${byName('Add Klaviyo Profile TO hub').id}/preview`,
      {
        record: {
          type: 'profile',
          id: '01HPROFILE',
          attributes: {
            email: 'p@example.com',
            first_name: 'Pat',
            location: { city: 'Utrecht', country: 'Netherlands' },
          },
        },
      },
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.payload, { email_address: 'p@example.com', first_name: 'Pat' });
    assert.deepEqual(answer.body.children[0].items[0].payload, {
      first_name: 'Pat',
      city: 'Utrecht',
      country: 'Netherlands',
      is_primary_billing: true,
    });
  });
});
