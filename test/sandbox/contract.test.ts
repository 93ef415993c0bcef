// Every operation the sandbox serves, called once validly and once invalidly, with each answer checked
// against the operation's response schema in Klaviyo's OpenAPI description.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OPERATIONS } from '../../src/sandbox/operations.ts';
import { type Answer, type Client, eventBody, loadContract, openSandbox, profileBody } from './helpers.ts';

const contract = loadContract();
let client: Client;
const covered = new Map<string, Set<string>>();

/** Calls an operation, checks the status and the schema, and records whether it was a valid or invalid call. */
async function expect(
  operationId: string,
  status: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const answer = await client.call(method, path, body);
  assert.equal(answer.status, status, `${operationId}: ${JSON.stringify(answer.body)}`);
  contract?.check(operationId, answer);
  const kinds = covered.get(operationId) ?? new Set();
  kinds.add(status < 400 ? 'valid' : 'invalid');
  covered.set(operationId, kinds);
  return answer;
}

before(async () => {
  client = await openSandbox();
});
after(() => client.close());

test('accounts', async () => {
  const { body } = await expect('get_accounts', 200, 'GET', '/api/accounts');
  assert.equal(body.data.length, 1);
  await expect('get_accounts', 400, 'GET', '/api/accounts?fields[account]=nonsense');
  await expect('get_account', 200, 'GET', `/api/accounts/${client.sandbox.accountId}`);
  await expect('get_account', 404, 'GET', '/api/accounts/other');
});

test('profiles, lists and memberships', async () => {
  const created = await expect(
    'create_profile',
    201,
    'POST',
    '/api/profiles',
    profileBody({ email: 'ann@example.com', first_name: 'Ann', location: { city: 'Oslo' } }),
  );
  const id = created.body.data.id;
  await expect('create_profile', 400, 'POST', '/api/profiles', profileBody({ email: 'not-an-email' }));
  await expect(
    'get_profile',
    200,
    'GET',
    `/api/profiles/${id}?additional-fields[profile]=subscriptions&include=lists`,
  );
  await expect('get_profile', 404, 'GET', '/api/profiles/01NOPE');
  await expect('get_profiles', 200, 'GET', '/api/profiles?page[size]=5&sort=-updated');
  await expect('get_profiles', 400, 'GET', '/api/profiles?filter=equals(first_name,"Ann")');
  await expect('update_profile', 200, 'PATCH', `/api/profiles/${id}`, {
    data: { type: 'profile', id, attributes: { last_name: 'Lee' } },
  });
  await expect('update_profile', 400, 'PATCH', `/api/profiles/${id}`, {
    data: { type: 'profile', id, attributes: { phone_number: '555-1234' } },
  });
  await expect(
    'create_or_update_profile',
    201,
    'POST',
    '/api/profile-import',
    profileBody({ email: 'bo@example.com' }),
  );
  await expect(
    'create_or_update_profile',
    200,
    'POST',
    '/api/profile-import',
    profileBody({ email: 'bo@example.com', first_name: 'Bo' }),
  );
  await expect(
    'create_or_update_profile',
    400,
    'POST',
    '/api/profile-import',
    profileBody({ first_name: 'Nobody' }),
  );

  const list = await expect('create_list', 201, 'POST', '/api/lists', {
    data: { type: 'list', attributes: { name: 'Newsletter' } },
  });
  const listId = list.body.data.id;
  await expect('create_list', 400, 'POST', '/api/lists', { data: { type: 'list', attributes: {} } });
  await expect('get_lists', 200, 'GET', '/api/lists?filter=equals(name,["Newsletter"])');
  await expect('get_lists', 400, 'GET', '/api/lists?page[size]=11');
  await expect('get_list', 200, 'GET', `/api/lists/${listId}?additional-fields[list]=profile_count`);
  await expect('get_list', 404, 'GET', '/api/lists/nope');
  await expect('update_list', 200, 'PATCH', `/api/lists/${listId}`, {
    data: { type: 'list', id: listId, attributes: { name: 'News' } },
  });
  await expect('update_list', 400, 'PATCH', `/api/lists/${listId}`, {
    data: { type: 'list', id: listId, attributes: { name: '' } },
  });
  const members = { data: [{ type: 'profile', id }] };
  await expect('add_profiles_to_list', 204, 'POST', `/api/lists/${listId}/relationships/profiles`, members);
  await expect('add_profiles_to_list', 400, 'POST', `/api/lists/${listId}/relationships/profiles`, {
    data: [{ type: 'profile', id: 'missing' }],
  });
  await expect('get_profiles_for_list', 200, 'GET', `/api/lists/${listId}/profiles`);
  await expect('get_profiles_for_list', 404, 'GET', '/api/lists/nope/profiles');
  const ids = await expect(
    'get_profile_ids_for_list',
    200,
    'GET',
    `/api/lists/${listId}/relationships/profiles`,
  );
  assert.deepEqual(ids.body.data, [{ type: 'profile', id }]);
  await expect(
    'get_profile_ids_for_list',
    400,
    'GET',
    `/api/lists/${listId}/relationships/profiles?filter=equals(city,"x")`,
  );
  const lists = await expect('get_lists_for_profile', 200, 'GET', `/api/profiles/${id}/lists`);
  assert.equal(lists.body.data[0].id, listId);
  await expect('get_lists_for_profile', 404, 'GET', '/api/profiles/nope/lists');
  await expect('get_list_ids_for_profile', 200, 'GET', `/api/profiles/${id}/relationships/lists`);
  await expect('get_list_ids_for_profile', 404, 'GET', '/api/profiles/nope/relationships/lists');
  await expect(
    'remove_profiles_from_list',
    204,
    'DELETE',
    `/api/lists/${listId}/relationships/profiles`,
    members,
  );
  await expect('remove_profiles_from_list', 400, 'DELETE', `/api/lists/${listId}/relationships/profiles`, {
    data: 'x',
  });
  await expect('delete_list', 204, 'DELETE', `/api/lists/${listId}`);
  await expect('delete_list', 404, 'DELETE', `/api/lists/${listId}`);
});

test('bulk import jobs', async () => {
  const list = await client.call('POST', '/api/lists', {
    data: { type: 'list', attributes: { name: 'Imported' } },
  });
  const listId = list.body.data.id;
  const body = {
    data: {
      type: 'profile-bulk-import-job',
      attributes: {
        profiles: {
          data: [
            { type: 'profile', attributes: { email: 'i1@example.com' } },
            { type: 'profile', attributes: { email: 'broken' } },
          ],
        },
      },
      relationships: { lists: { data: [{ type: 'list', id: listId }] } },
    },
  };
  const job = await expect('bulk_import_profiles', 202, 'POST', '/api/profile-bulk-import-jobs', body);
  const jobId = job.body.data.id;
  await expect('bulk_import_profiles', 400, 'POST', '/api/profile-bulk-import-jobs', {
    data: { type: 'profile-bulk-import-job', attributes: { profiles: { data: [] } } },
  });
  await client.sandbox.state.idle();
  const done = await expect(
    'get_bulk_import_profiles_job',
    200,
    'GET',
    `/api/profile-bulk-import-jobs/${jobId}?include=lists`,
  );
  assert.equal(done.body.data.attributes.status, 'complete');
  await expect('get_bulk_import_profiles_job', 404, 'GET', '/api/profile-bulk-import-jobs/nope');
  await expect(
    'get_bulk_import_profiles_jobs',
    200,
    'GET',
    '/api/profile-bulk-import-jobs?filter=equals(status,"complete")',
  );
  await expect(
    'get_bulk_import_profiles_jobs',
    400,
    'GET',
    '/api/profile-bulk-import-jobs?filter=equals(kind,"x")',
  );
  const errors = await expect(
    'get_errors_for_bulk_import_profiles_job',
    200,
    'GET',
    `/api/profile-bulk-import-jobs/${jobId}/import-errors`,
  );
  assert.equal(errors.body.data.length, 1);
  await expect(
    'get_errors_for_bulk_import_profiles_job',
    404,
    'GET',
    '/api/profile-bulk-import-jobs/nope/import-errors',
  );
  const imported = await expect(
    'get_profiles_for_bulk_import_profiles_job',
    200,
    'GET',
    `/api/profile-bulk-import-jobs/${jobId}/profiles`,
  );
  assert.equal(imported.body.data[0].attributes.email, 'i1@example.com');
  await expect(
    'get_profiles_for_bulk_import_profiles_job',
    404,
    'GET',
    '/api/profile-bulk-import-jobs/nope/profiles',
  );
  // The job's other related resources: found for the job, 404 for an unknown one.
  for (const [operationId, related] of [
    ['get_profile_ids_for_bulk_import_profiles_job', 'relationships/profiles'],
    ['get_list_for_bulk_import_profiles_job', 'lists'],
    ['get_list_ids_for_bulk_import_profiles_job', 'relationships/lists'],
  ]) {
    await expect(operationId, 200, 'GET', `/api/profile-bulk-import-jobs/${jobId}/${related}`);
    await expect(operationId, 404, 'GET', `/api/profile-bulk-import-jobs/nope/${related}`);
  }
});

test('subscriptions and deletion', async () => {
  const subscribe = {
    data: {
      type: 'profile-subscription-bulk-create-job',
      attributes: {
        profiles: {
          data: [
            {
              type: 'profile',
              attributes: {
                email: 'sub@example.com',
                subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } },
              },
            },
          ],
        },
      },
    },
  };
  await expect(
    'bulk_subscribe_profiles',
    202,
    'POST',
    '/api/profile-subscription-bulk-create-jobs',
    subscribe,
  );
  await expect('bulk_subscribe_profiles', 400, 'POST', '/api/profile-subscription-bulk-create-jobs', {
    data: {
      type: 'profile-subscription-bulk-create-job',
      attributes: {
        profiles: {
          data: [
            {
              type: 'profile',
              attributes: {
                email: 'a@example.com',
                subscriptions: { sms: { marketing: { consent: 'SUBSCRIBED' } } },
              },
            },
          ],
        },
      },
    },
  });
  const unsubscribe = structuredClone(subscribe) as typeof subscribe;
  unsubscribe.data.type = 'profile-subscription-bulk-delete-job';
  unsubscribe.data.attributes.profiles.data[0].attributes.subscriptions.email.marketing.consent =
    'UNSUBSCRIBED';
  await expect(
    'bulk_unsubscribe_profiles',
    202,
    'POST',
    '/api/profile-subscription-bulk-delete-jobs',
    unsubscribe,
  );
  await expect(
    'bulk_unsubscribe_profiles',
    400,
    'POST',
    '/api/profile-subscription-bulk-delete-jobs',
    subscribe.data.attributes,
  );
  await expect('request_profile_deletion', 202, 'POST', '/api/data-privacy-deletion-jobs', {
    data: {
      type: 'data-privacy-deletion-job',
      attributes: { profile: { data: { type: 'profile', attributes: { email: 'sub@example.com' } } } },
    },
  });
  await expect('request_profile_deletion', 400, 'POST', '/api/data-privacy-deletion-jobs', {
    data: {
      type: 'data-privacy-deletion-job',
      attributes: {
        profile: {
          data: { type: 'profile', attributes: { email: 'sub@example.com', phone_number: '+15005550006' } },
        },
      },
    },
  });
  await client.sandbox.state.idle();
  assert.equal(client.sandbox.state.account().profiles.find('email', 'sub@example.com'), undefined);
});

test('events and metrics', async () => {
  await expect(
    'create_event',
    202,
    'POST',
    '/api/events',
    eventBody('ev@example.com', 'Placed Order', { unique_id: 'o-1', value: 12.5 }),
  );
  await expect('create_event', 400, 'POST', '/api/events', eventBody('ev@example.com', ''));
  const bulk = {
    data: {
      type: 'event-bulk-create-job',
      attributes: {
        'events-bulk-create': {
          data: [
            {
              type: 'event-bulk-create',
              attributes: {
                profile: { data: { type: 'profile', attributes: { email: 'ev@example.com' } } },
                events: {
                  data: [
                    {
                      type: 'event',
                      attributes: {
                        properties: {},
                        unique_id: 'o-2',
                        metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
                      },
                    },
                  ],
                },
              },
            },
          ],
        },
      },
    },
  };
  await expect('bulk_create_events', 202, 'POST', '/api/event-bulk-create-jobs', bulk);
  await expect('bulk_create_events', 400, 'POST', '/api/event-bulk-create-jobs', {
    data: { type: 'event-bulk-create-job', attributes: {} },
  });
  await client.sandbox.state.idle();
  const events = await expect('get_events', 200, 'GET', '/api/events?include=profile,metric&sort=-datetime');
  assert.equal(events.body.data.length, 2);
  await expect('get_events', 400, 'GET', '/api/events?filter=equals(unique_id,"o-1")');
  const eventId = events.body.data[0].id;
  await expect('get_event', 200, 'GET', `/api/events/${eventId}?include=metric`);
  await expect('get_event', 404, 'GET', '/api/events/nope');
  await expect('get_metric_for_event', 200, 'GET', `/api/events/${eventId}/metric`);
  await expect('get_metric_for_event', 404, 'GET', '/api/events/nope/metric');
  await expect('get_metric_id_for_event', 200, 'GET', `/api/events/${eventId}/relationships/metric`);
  await expect('get_metric_id_for_event', 404, 'GET', '/api/events/nope/relationships/metric');
  await expect('get_profile_for_event', 200, 'GET', `/api/events/${eventId}/profile`);
  await expect('get_profile_for_event', 404, 'GET', '/api/events/nope/profile');
  await expect('get_profile_id_for_event', 200, 'GET', `/api/events/${eventId}/relationships/profile`);
  await expect('get_profile_id_for_event', 404, 'GET', '/api/events/nope/relationships/profile');
  const metrics = await expect(
    'get_metrics',
    200,
    'GET',
    '/api/metrics?filter=equals(integration.name,"API")',
  );
  assert.equal(metrics.body.data[0].attributes.name, 'Placed Order');
  await expect('get_metrics', 400, 'GET', '/api/metrics?filter=equals(name,"x")');
  await expect('get_metric', 200, 'GET', `/api/metrics/${metrics.body.data[0].id}`);
  await expect('get_metric', 404, 'GET', '/api/metrics/nope');
});

test('catalog items, variants and their bulk jobs', async () => {
  const item = {
    external_id: 'SKU-1',
    title: 'Shirt',
    description: 'A shirt',
    url: 'https://shop.example/shirt',
    price: 20,
  };
  const created = await expect('create_catalog_item', 201, 'POST', '/api/catalog-items', {
    data: { type: 'catalog-item', attributes: item },
  });
  const itemId = created.body.data.id;
  assert.equal(itemId, '$custom:::$default:::SKU-1');
  const itemPath = `/api/catalog-items/${encodeURIComponent(itemId)}`;
  await expect('create_catalog_item', 400, 'POST', '/api/catalog-items', {
    data: { type: 'catalog-item', attributes: { title: 'No id' } },
  });
  await expect('get_catalog_items', 200, 'GET', '/api/catalog-items?filter=contains(title,"Shi")');
  await expect('get_catalog_items', 400, 'GET', '/api/catalog-items?page[size]=101');
  await expect('get_catalog_item', 200, 'GET', itemPath);
  await expect('get_catalog_item', 404, 'GET', '/api/catalog-items/nope');
  await expect('update_catalog_item', 200, 'PATCH', itemPath, {
    data: { type: 'catalog-item', id: itemId, attributes: { price: 25 } },
  });
  await expect('update_catalog_item', 400, 'PATCH', itemPath, {
    data: { type: 'catalog-item', id: itemId, attributes: { price: 'free' } },
  });
  const variant = {
    external_id: 'SKU-1-S',
    title: 'Shirt S',
    description: 'Small',
    sku: 'SKU-1-S',
    inventory_quantity: 3,
    price: 20,
    url: 'https://shop.example/shirt?s',
  };
  const variantBody = {
    data: {
      type: 'catalog-variant',
      attributes: variant,
      relationships: { item: { data: { type: 'catalog-item', id: itemId } } },
    },
  };
  const createdVariant = await expect(
    'create_catalog_variant',
    201,
    'POST',
    '/api/catalog-variants',
    variantBody,
  );
  const variantId = createdVariant.body.data.id;
  const variantPath = `/api/catalog-variants/${encodeURIComponent(variantId)}`;
  await expect('create_catalog_variant', 400, 'POST', '/api/catalog-variants', {
    data: { type: 'catalog-variant', attributes: variant },
  });
  await expect('get_catalog_variants', 200, 'GET', '/api/catalog-variants?filter=equals(sku,"SKU-1-S")');
  await expect('get_catalog_variants', 400, 'GET', '/api/catalog-variants?sort=price');
  await expect('get_catalog_variant', 200, 'GET', variantPath);
  await expect('get_catalog_variant', 404, 'GET', '/api/catalog-variants/nope');
  await expect('get_variants_for_catalog_item', 200, 'GET', `${itemPath}/variants`);
  await expect('get_variants_for_catalog_item', 404, 'GET', '/api/catalog-items/nope/variants');
  await expect('update_catalog_variant', 200, 'PATCH', variantPath, {
    data: { type: 'catalog-variant', id: variantId, attributes: { inventory_quantity: 0 } },
  });
  await expect('update_catalog_variant', 400, 'PATCH', variantPath, {
    data: { type: 'catalog-variant', id: variantId, attributes: { inventory_policy: 7 } },
  });
  await expect('delete_catalog_variant', 204, 'DELETE', variantPath);
  await expect('delete_catalog_variant', 404, 'DELETE', variantPath);
  await expect('delete_catalog_item', 204, 'DELETE', itemPath);
  await expect('delete_catalog_item', 404, 'DELETE', itemPath);

  for (const kind of ['item', 'variant'] as const) {
    const plural = kind === 'item' ? 'items' : 'variants';
    const jobName = (action: string) =>
      kind === 'item' ? `get_bulk_${action}_catalog_items_job` : `get_bulk_${action}_variants_job`;
    const base =
      kind === 'item' ? { ...item, external_id: 'BULK-1' } : { ...variant, external_id: 'BULK-1-S' };
    if (kind === 'variant') {
      await client.call('POST', '/api/catalog-items', {
        data: { type: 'catalog-item', attributes: { ...item, external_id: 'BULK-PARENT' } },
      });
    }
    const entry: Record<string, unknown> = { type: `catalog-${kind}`, attributes: base };
    if (kind === 'variant')
      entry.relationships = {
        item: { data: { type: 'catalog-item', id: '$custom:::$default:::BULK-PARENT' } },
      };
    const id = `$custom:::$default:::${base.external_id}`;
    const bodies: Record<string, unknown[]> = {
      create: [entry],
      update: [{ type: `catalog-${kind}`, id, attributes: { title: 'Renamed' } }],
      delete: [{ type: `catalog-${kind}`, id }],
    };
    for (const action of ['create', 'update', 'delete']) {
      const type = `catalog-${kind}-bulk-${action}-job`;
      const operation = `bulk_${action}_catalog_${plural}`;
      const job = await expect(operation, 202, 'POST', `/api/${type}s`, {
        data: { type, attributes: { [plural]: { data: bodies[action] } } },
      });
      const tooMany = Array.from({ length: 101 }, () => bodies[action][0]);
      await expect(operation, 400, 'POST', `/api/${type}s`, {
        data: { type, attributes: { [plural]: { data: tooMany } } },
      });
      await client.sandbox.state.idle();
      const done = await expect(jobName(action), 200, 'GET', `/api/${type}s/${job.body.data.id}`);
      assert.equal(done.body.data.attributes.status, 'complete');
      assert.equal(
        done.body.data.attributes.completed_count,
        1,
        JSON.stringify(done.body.data.attributes.errors),
      );
      await expect(jobName(action), 404, 'GET', `/api/${type}s/nope`);
    }
  }
});

test('every served operation was called validly and invalidly', {
  skip: !contract && 'contract checks skipped',
}, () => {
  const missing = OPERATIONS.filter((operation) => covered.get(operation.operationId)?.size !== 2).map(
    (operation) => operation.operationId,
  );
  assert.deepEqual(missing, []);
});
