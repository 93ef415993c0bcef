// Klaviyo's official Node SDK (`klaviyo-api` 23, revision 2026-07-15) with a private API key against the
// sandbox: every call the service depends on, with the answers read through the SDK's own types.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, test } from 'node:test';
import {
  AccountsApi,
  CatalogsApi,
  DataPrivacyApi,
  EventsApi,
  ListsApi,
  MetricsApi,
  ProfileEnum,
  ProfilesApi,
} from 'klaviyo-api';
import { assertDate, at, klaviyoError, openSdkSandbox, type SdkSandbox } from './helpers.ts';

let env: SdkSandbox;
let profiles: ProfilesApi;

beforeEach(async () => {
  env = await openSdkSandbox();
  profiles = at(env.sandbox, new ProfilesApi(env.session));
});
let checked = 0;
afterEach(async () => {
  checked += env.checked.count;
  await env.close();
});
after(() => console.log(`# SDK answers checked against stable.json: ${checked}`));

const profile = ProfileEnum.Profile;

test('profiles: create, get, update, list with a filter, create-or-update', async () => {
  const created = await profiles.createProfile({
    data: {
      type: profile,
      attributes: {
        email: 'ada@example.com',
        externalId: 'cust-1',
        firstName: 'Ada',
        location: { city: 'London', country: 'GB' },
        properties: { tier: 'gold' },
      },
    },
  });
  assert.equal(created.response.status, 201);
  const id = created.body.data.id!;
  assert.equal(typeof id, 'string');
  assert.equal(created.body.data.type, 'profile');
  assert.equal(created.body.data.attributes.email, 'ada@example.com');
  assert.equal(created.body.data.attributes.externalId, 'cust-1');
  assert.equal(created.body.data.attributes.location?.city, 'London');
  assertDate(created.body.data.attributes.created, 'created');

  const read = await profiles.getProfile(id, { additionalFieldsProfile: ['subscriptions'] });
  assert.equal(read.body.data.attributes.firstName, 'Ada');
  assert.deepEqual(read.body.data.attributes.properties, { tier: 'gold' });
  assert.equal(read.body.data.attributes.subscriptions?.email?.marketing?.consent, 'NEVER_SUBSCRIBED');

  const updated = await profiles.updateProfile(id, {
    data: { type: profile, id, attributes: { lastName: 'Lovelace', firstName: null } },
  });
  assert.equal(updated.body.data.attributes.lastName, 'Lovelace');
  assert.equal(updated.body.data.attributes.firstName, null);
  assertDate(updated.body.data.attributes.updated, 'updated');

  await profiles.createProfile({ data: { type: profile, attributes: { email: 'other@example.com' } } });
  const listed = await profiles.getProfiles({ filter: 'equals(email,"ada@example.com")', pageSize: 5 });
  assert.deepEqual(
    listed.body.data.map((found) => found.id),
    [id],
  );
  assert.equal(typeof listed.body.links?.self, 'string');
  const anyOf = await profiles.getProfiles({ filter: 'any(external_id,["cust-1","nobody"])' });
  assert.equal(anyOf.body.data.length, 1);

  const upserted = await profiles.createOrUpdateProfile({
    data: { type: profile, attributes: { email: 'ada@example.com', title: 'Countess' } },
  });
  assert.equal(upserted.response.status, 200);
  assert.equal(upserted.body.data.id, id);
  assert.equal(upserted.body.data.attributes.title, 'Countess');

  // A filter the spec does not allow is Klaviyo's 400, as the SDK reports it.
  await assert.rejects(profiles.getProfiles({ filter: 'contains(email,"ada")' }), (error) => {
    assert.deepEqual(klaviyoError(error), { status: 400, code: 'invalid', source: { parameter: 'filter' } });
    return true;
  });
});

test('bulk profile import job: create, then read its status and its profiles', async () => {
  const lists = at(env.sandbox, new ListsApi(env.session));
  const list = await lists.createList({ data: { type: 'list', attributes: { name: 'Imported' } } });
  const job = await profiles.bulkImportProfiles({
    data: {
      type: 'profile-bulk-import-job',
      attributes: {
        profiles: {
          data: [
            { type: profile, attributes: { email: 'b1@example.com', firstName: 'B1' } },
            { type: profile, attributes: { email: 'b2@example.com', phoneNumber: '+15005550006' } },
            { type: profile, attributes: { email: 'not-an-email' } },
          ],
        },
      },
      relationships: { lists: { data: [{ type: 'list', id: list.body.data.id! }] } },
    },
  });
  assert.equal(job.response.status, 202);
  const jobId = job.body.data.id!;
  assert.equal(job.body.data.attributes.status, 'queued');
  assert.equal(job.body.data.attributes.totalCount, 3);
  assertDate(job.body.data.attributes.createdAt, 'created_at');
  await env.sandbox.state.idle();

  const done = await profiles.getBulkImportProfilesJob(jobId, { include: ['lists'] });
  assert.equal(done.body.data.attributes.status, 'complete');
  assert.equal(done.body.data.attributes.completedCount, 2);
  assert.equal(done.body.data.attributes.failedCount, 1);
  assertDate(done.body.data.attributes.completedAt, 'completed_at');
  assert.equal(done.body.included?.[0]?.id, list.body.data.id);

  const errors = await profiles.getErrorsForBulkImportProfilesJob(jobId);
  assert.equal(errors.body.data.length, 1);
  assert.match(String(errors.body.data[0].attributes.source.pointer), /email/);
  const imported = await profiles.getProfilesForBulkImportProfilesJob(jobId);
  assert.deepEqual(imported.body.data.map((found) => found.attributes.email).sort(), [
    'b1@example.com',
    'b2@example.com',
  ]);
  const jobs = await profiles.getBulkImportProfilesJobs({ filter: 'equals(status,"complete")' });
  assert.deepEqual(
    jobs.body.data.map((found) => found.id),
    [jobId],
  );
});

test('events: create one, bulk create, read them back with their metric', async () => {
  const events = at(env.sandbox, new EventsApi(env.session));
  const metric = (name: string) => ({ data: { type: 'metric' as const, attributes: { name } } });
  const one = await events.createEvent({
    data: {
      type: 'event',
      attributes: {
        properties: { order_id: 'o-1', items: 2 },
        time: new Date('2026-01-02T03:04:05Z'),
        value: 42.5,
        valueCurrency: 'EUR',
        uniqueId: 'o-1',
        metric: metric('Placed Order'),
        profile: { data: { type: profile, attributes: { email: 'buyer@example.com' } } },
      },
    },
  });
  assert.equal(one.response.status, 202);
  assert.equal(one.body, undefined);

  const bulk = await events.bulkCreateEvents({
    data: {
      type: 'event-bulk-create-job',
      attributes: {
        eventsBulkCreate: {
          data: [
            {
              type: 'event-bulk-create',
              attributes: {
                backfill: true,
                profile: { data: { type: profile, attributes: { email: 'old@example.com' } } },
                events: {
                  data: [
                    {
                      type: 'event',
                      attributes: {
                        properties: { order_id: 'o-0' },
                        time: new Date('2025-06-01T00:00:00Z'),
                        uniqueId: 'o-0',
                        metric: metric('Placed Order'),
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
  });
  assert.equal(bulk.response.status, 202);
  await env.sandbox.state.idle();

  const listed = await events.getEvents({ include: ['metric'], sort: 'datetime' });
  assert.equal(listed.body.data.length, 2);
  const [older, newer] = listed.body.data;
  assertDate(newer.attributes.datetime, 'datetime');
  assert.equal(newer.attributes.datetime?.toISOString(), '2026-01-02T03:04:05.000Z');
  assert.equal((newer.attributes.eventProperties as Record<string, unknown>).order_id, 'o-1');
  assert.equal((older.attributes.eventProperties as Record<string, unknown>).order_id, 'o-0');
  const metricId = newer.relationships?.metric?.data?.id;
  assert.equal(typeof metricId, 'string');
  assert.equal(listed.body.included?.find((item) => item.id === metricId)?.type, 'metric');
  const stored = env.sandbox.state.account().events;
  assert.deepEqual(
    stored.map((event) => event.backfill),
    [false, true],
  );
});

test('subscribe and unsubscribe jobs, with and without a list', async () => {
  const lists = at(env.sandbox, new ListsApi(env.session));
  const list = await lists.createList({ data: { type: 'list', attributes: { name: 'Newsletter' } } });
  const listId = list.body.data.id!;
  const subscribed = await profiles.bulkSubscribeProfiles({
    data: {
      type: 'profile-subscription-bulk-create-job',
      attributes: {
        profiles: {
          data: [
            {
              type: profile,
              attributes: {
                email: 'sub@example.com',
                subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } },
              },
            },
          ],
        },
      },
      relationships: { list: { data: { type: 'list', id: listId } } },
    },
  });
  assert.equal(subscribed.response.status, 202);
  const historical = await profiles.bulkSubscribeProfiles({
    data: {
      type: 'profile-subscription-bulk-create-job',
      attributes: {
        historicalImport: true,
        profiles: {
          data: [
            {
              type: profile,
              attributes: {
                email: 'past@example.com',
                subscriptions: {
                  email: {
                    marketing: { consent: 'SUBSCRIBED', consentedAt: new Date('2024-02-03T04:05:06Z') },
                  },
                },
              },
            },
          ],
        },
      },
    },
  });
  assert.equal(historical.response.status, 202);
  await env.sandbox.state.idle();
  const account = env.sandbox.state.account();
  const sub = account.profiles.find('email', 'sub@example.com')!;
  assert.equal(sub.consents?.emailMarketing?.consent, 'SUBSCRIBED');
  assert.ok(account.lists.get(listId)!.members.has(sub.id));
  const past = account.profiles.find('email', 'past@example.com')!.consents?.emailMarketing;
  assert.equal(past?.historicalImport, true);
  assert.equal(past?.consentedAt, Date.parse('2024-02-03T04:05:06Z'));

  const unsubscribed = await profiles.bulkUnsubscribeProfiles({
    data: {
      type: 'profile-subscription-bulk-delete-job',
      attributes: {
        profiles: {
          data: [
            {
              type: profile,
              attributes: {
                email: 'past@example.com',
                subscriptions: { email: { marketing: { consent: 'UNSUBSCRIBED' } } },
              },
            },
          ],
        },
      },
    },
  });
  assert.equal(unsubscribed.response.status, 202);
  await env.sandbox.state.idle();
  assert.equal(
    account.profiles.find('email', 'past@example.com')!.consents?.emailMarketing?.consent,
    'UNSUBSCRIBED',
  );
  const suppressed = await profiles.getProfiles({
    filter: 'equals(subscriptions.email.marketing.suppression.reason,"UNSUBSCRIBE")',
  });
  assert.deepEqual(
    suppressed.body.data.map((found) => found.attributes.email),
    ['past@example.com'],
  );
});

test('lists: create, get with its profile count, add members, read members', async () => {
  const lists = at(env.sandbox, new ListsApi(env.session));
  const created = await lists.createList({
    data: { type: 'list', attributes: { name: 'VIP', optInProcess: 'single_opt_in' } },
  });
  assert.equal(created.response.status, 201);
  const listId = created.body.data.id!;
  assert.equal(created.body.data.attributes.name, 'VIP');
  assertDate(created.body.data.attributes.created, 'created');
  const a = await profiles.createProfile({
    data: { type: profile, attributes: { email: 'm1@example.com' } },
  });
  const b = await profiles.createProfile({
    data: { type: profile, attributes: { email: 'm2@example.com' } },
  });
  const added = await lists.addProfilesToList(listId, {
    data: [
      { type: profile, id: a.body.data.id! },
      { type: profile, id: b.body.data.id! },
    ],
  });
  assert.equal(added.response.status, 204);
  const read = await lists.getList(listId, { additionalFieldsList: ['profile_count'] });
  assert.equal(read.body.data.attributes.profileCount, 2);
  assert.equal(read.body.data.attributes.optInProcess, 'single_opt_in');
  const byName = await lists.getLists({ filter: 'equals(name,["VIP"])' });
  assert.deepEqual(
    byName.body.data.map((found) => found.id),
    [listId],
  );
  const members = await lists.getProfilesForList(listId, { filter: 'any(email,["m2@example.com"])' });
  assert.deepEqual(
    members.body.data.map((found) => found.id),
    [b.body.data.id],
  );
  assertDate(members.body.data[0].attributes.joinedGroupAt, 'joined_group_at');
});

test('catalog items: create and get', async () => {
  const catalogs = at(env.sandbox, new CatalogsApi(env.session));
  const created = await catalogs.createCatalogItem({
    data: {
      type: 'catalog-item',
      attributes: {
        externalId: 'SKU-1',
        integrationType: '$custom',
        catalogType: '$default',
        title: 'Mug',
        description: 'A mug',
        url: 'https://example.com/mug',
        price: 9.5,
        imageFullUrl: 'https://example.com/mug.png',
        customMetadata: { colour: 'blue' },
        published: true,
      },
    },
  });
  assert.equal(created.response.status, 201);
  const id = created.body.data.id!;
  assert.equal(id, '$custom:::$default:::SKU-1');
  const read = await catalogs.getCatalogItem(id);
  assert.equal(read.body.data.attributes.title, 'Mug');
  assert.equal(read.body.data.attributes.price, 9.5);
  assert.deepEqual(read.body.data.attributes.customMetadata, { colour: 'blue' });
  assertDate(read.body.data.attributes.created, 'created');
  const found = await catalogs.getCatalogItems({ filter: 'any(ids,["$custom:::$default:::SKU-1"])' });
  assert.equal(found.body.data.length, 1);
});

test('data privacy deletion request, and the account', async () => {
  const created = await profiles.createProfile({
    data: { type: profile, attributes: { email: 'forget@example.com' } },
  });
  const privacy = at(env.sandbox, new DataPrivacyApi(env.session));
  const requested = await privacy.requestProfileDeletion({
    data: {
      type: 'data-privacy-deletion-job',
      attributes: { profile: { data: { type: profile, attributes: { email: 'forget@example.com' } } } },
    },
  });
  assert.equal(requested.response.status, 202);
  await env.sandbox.state.idle();
  await assert.rejects(profiles.getProfile(created.body.data.id!), (error) => {
    assert.equal(klaviyoError(error).status, 404);
    return true;
  });
  const accounts = at(env.sandbox, new AccountsApi(env.session));
  const account = await accounts.getAccounts();
  assert.equal(account.body.data[0].id, env.sandbox.accountId);
  assert.ok(env.calls.every((url) => url.startsWith(env.sandbox.url)));
});

test('pages: the SDK follows links.next given as the page cursor', async () => {
  for (let i = 0; i < 5; i++)
    await profiles.createProfile({ data: { type: profile, attributes: { email: `page${i}@example.com` } } });
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await profiles.getProfiles({ pageSize: 2, ...(cursor ? { pageCursor: cursor } : {}) });
    seen.push(...page.body.data.map((found) => found.attributes.email!));
    cursor = page.body.links?.next ?? undefined;
    pages++;
  } while (cursor && pages < 10);
  assert.equal(pages, 3);
  assert.deepEqual(
    seen,
    [0, 1, 2, 3, 4].map((i) => `page${i}@example.com`),
  );
});

test('catalog variants, updates (null clears a nullable field) and deletes', async () => {
  const catalogs = at(env.sandbox, new CatalogsApi(env.session));
  const item = await catalogs.createCatalogItem({
    data: {
      type: 'catalog-item',
      attributes: {
        externalId: 'SKU-2',
        title: 'Cup',
        description: 'A cup',
        url: 'https://example.com/cup',
        imageThumbnailUrl: 'https://example.com/cup-small.png',
      },
    },
  });
  const itemId = item.body.data.id!;
  const variant = await catalogs.createCatalogVariant({
    data: {
      type: 'catalog-variant',
      attributes: {
        externalId: 'SKU-2-red',
        title: 'Red cup',
        description: 'A red cup',
        sku: 'CUP-RED',
        inventoryQuantity: 4,
        inventoryPolicy: 1,
        price: 7,
        url: 'https://example.com/cup?red',
      },
      relationships: { item: { data: { type: 'catalog-item', id: itemId } } },
    },
  });
  assert.equal(variant.response.status, 201);
  const variantId = variant.body.data.id!;
  assert.equal(variant.body.data.attributes.sku, 'CUP-RED');
  assert.equal(variant.body.data.attributes.inventoryQuantity, 4);

  const updatedItem = await catalogs.updateCatalogItem(itemId, {
    data: { type: 'catalog-item', id: itemId, attributes: { title: 'Big cup', imageThumbnailUrl: null } },
  });
  assert.equal(updatedItem.body.data.attributes.title, 'Big cup');
  assert.equal(updatedItem.body.data.attributes.imageThumbnailUrl, null);
  const updatedVariant = await catalogs.updateCatalogVariant(variantId, {
    data: { type: 'catalog-variant', id: variantId, attributes: { inventoryQuantity: 0, price: 6.5 } },
  });
  assert.equal(updatedVariant.body.data.attributes.inventoryQuantity, 0);
  assert.equal(updatedVariant.body.data.attributes.price, 6.5);
  const variants = await catalogs.getVariantsForCatalogItem(itemId, { filter: 'equals(sku,"CUP-RED")' });
  assert.deepEqual(
    variants.body.data.map((found) => found.id),
    [variantId],
  );

  assert.equal((await catalogs.deleteCatalogVariant(variantId)).response.status, 204);
  assert.equal((await catalogs.deleteCatalogItem(itemId)).response.status, 204);
  await assert.rejects(catalogs.getCatalogItem(itemId), (error) => {
    assert.equal(klaviyoError(error).status, 404);
    return true;
  });
});

test('a profile’s lists, removing members, and metrics', async () => {
  const lists = at(env.sandbox, new ListsApi(env.session));
  const list = await lists.createList({ data: { type: 'list', attributes: { name: 'Members' } } });
  const listId = list.body.data.id!;
  const member = await profiles.createProfile({
    data: { type: profile, attributes: { email: 'member@example.com' } },
  });
  const memberId = member.body.data.id!;
  await lists.addProfilesToList(listId, { data: [{ type: profile, id: memberId }] });
  const ofProfile = await profiles.getListsForProfile(memberId);
  assert.deepEqual(
    ofProfile.body.data.map((found) => found.attributes.name),
    ['Members'],
  );
  const removed = await lists.removeProfilesFromList(listId, { data: [{ type: profile, id: memberId }] });
  assert.equal(removed.response.status, 204);
  assert.equal((await profiles.getListsForProfile(memberId)).body.data.length, 0);

  const events = at(env.sandbox, new EventsApi(env.session));
  await events.createEvent({
    data: {
      type: 'event',
      attributes: {
        properties: {},
        metric: { data: { type: 'metric', attributes: { name: 'Started Checkout' } } },
        profile: { data: { type: profile, attributes: { email: 'member@example.com' } } },
      },
    },
  });
  const metrics = at(env.sandbox, new MetricsApi(env.session));
  const found = await metrics.getMetrics({ filter: 'equals(integration.name,"API")' });
  assert.deepEqual(
    found.body.data.map((metric) => metric.attributes.name),
    ['Started Checkout'],
  );
  // The SDK types a metric's `created` as a string (not a Date, unlike profiles').
  assert.ok(!Number.isNaN(Date.parse(String(found.body.data[0].attributes.created))));
});
