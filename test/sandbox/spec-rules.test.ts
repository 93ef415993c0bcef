// The sandbox as strict and as lenient as Klaviyo's OpenAPI description (revision 2026-07-15): the content
// types Klaviyo's own SDK sends, filters per operation as the spec lists them, declared profile attributes only,
// required parts of request bodies, the per-profile size limit of bulk imports, and the 2026-07-15 history
// flags (`backfill` on events, `historical_import` with `consented_at` on subscribe jobs).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { FILTER_RULES, type FilterFieldRule } from '../../src/sandbox/filter-rules.ts';
import { OPERATIONS } from '../../src/sandbox/operations.ts';
import { type Answer, type Client, eventBody, loadContract, openSandbox, profileBody } from './helpers.ts';

const contract = loadContract();
let client: Client;
let clock = Date.parse('2026-03-01T12:00:00Z');

beforeEach(async () => {
  clock = Date.parse('2026-03-01T12:00:00Z');
  client = await openSandbox({ now: () => clock });
});
afterEach(() => client.close());

function assertRefused(answer: Answer, source: { pointer?: string; parameter?: string }, what: string): void {
  assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.errors[0].code, 'invalid', what);
  assert.deepEqual(answer.body.errors[0].source, source, what);
}

const subscribeEntry = (attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'profile',
  ...extra,
  attributes: { subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } }, ...attributes },
});

const subscribeJob = (entries: unknown[], attributes: Record<string, unknown> = {}) => ({
  data: {
    type: 'profile-subscription-bulk-create-job',
    attributes: { ...attributes, profiles: { data: entries } },
  },
});

const unsubscribeJob = (entries: unknown[]) => ({
  data: { type: 'profile-subscription-bulk-delete-job', attributes: { profiles: { data: entries } } },
});

test('a body sent as application/json (what Klaviyo’s Node SDK sends) is accepted like application/vnd.api+json', async () => {
  for (const contentType of [
    'application/json',
    'application/json; charset=utf-8',
    'application/vnd.api+json',
  ]) {
    const answer = await client.call(
      'POST',
      '/api/profiles',
      profileBody({ email: `${contentType.length}@example.com` }),
      { 'content-type': contentType },
    );
    assert.equal(answer.status, 201, contentType);
    contract?.check('create_profile', answer);
  }
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', '']) {
    const answer = await client.call('POST', '/api/profiles', profileBody({ email: 'no@example.com' }), {
      'content-type': contentType,
    });
    assert.equal(answer.status, 415, contentType);
    assert.equal(answer.body.errors[0].code, 'unsupported_media_type');
  }
});

test('profile filters: the declared subscriptions.email.marketing.* filters work, undeclared fields and operators are refused', async () => {
  const stays = await client.call('POST', '/api/profiles', profileBody({ email: 'stays@example.com' }));
  const leaves = await client.call('POST', '/api/profiles', profileBody({ email: 'leaves@example.com' }));
  clock += 60_000;
  await client.call(
    'POST',
    '/api/profile-subscription-bulk-delete-jobs',
    unsubscribeJob([
      {
        type: 'profile',
        attributes: {
          email: 'leaves@example.com',
          subscriptions: { email: { marketing: { consent: 'UNSUBSCRIBED' } } },
        },
      },
    ]),
  );
  await client.sandbox.state.idle();
  const ids = async (filter: string) => {
    const answer = await client.call('GET', `/api/profiles?filter=${encodeURIComponent(filter)}`);
    assert.equal(answer.status, 200, `${filter}: ${JSON.stringify(answer.body)}`);
    contract?.check('get_profiles', answer);
    return answer.body.data.map((profile: { id: string }) => profile.id);
  };
  assert.deepEqual(await ids('equals(subscriptions.email.marketing.suppression.reason,"UNSUBSCRIBE")'), [
    leaves.body.data.id,
  ]);
  assert.deepEqual(
    await ids('greater-than(subscriptions.email.marketing.suppression.timestamp,2026-03-01T12:00:30Z)'),
    [leaves.body.data.id],
  );
  assert.deepEqual(
    await ids('less-than(subscriptions.email.marketing.suppression.timestamp,2026-03-01T12:00:30Z)'),
    [],
  );
  assert.deepEqual(await ids('equals(subscriptions.email.marketing.list_suppressions.list_id,"Xy12Ab")'), []);
  assert.deepEqual(await ids('equals(_kx,"abc")'), []);
  assert.deepEqual(await ids('any(email,["stays@example.com","nobody@example.com"])'), [stays.body.data.id]);
  for (const filter of [
    'contains(email,"stays")',
    'equals(first_name,"A")',
    'equals(created,2026-01-01T00:00:00Z)',
    'greater-or-equal(updated,2026-01-01T00:00:00Z)',
    'equals(subscriptions.email.marketing.suppression.timestamp,2026-01-01T00:00:00Z)',
    'greater-than(updated,"yesterday")',
    'any(email,"stays@example.com")',
    'equals(email)',
  ]) {
    const answer = await client.call('GET', `/api/profiles?filter=${encodeURIComponent(filter)}`);
    assertRefused(answer, { parameter: 'filter' }, filter);
    contract?.check('get_profiles', answer);
  }
});

test('list, event, catalog and import-job filters follow the spec per operation', async () => {
  const a = await client.call('POST', '/api/lists', {
    data: { type: 'list', attributes: { name: 'Alpha' } },
  });
  const b = await client.call('POST', '/api/lists', { data: { type: 'list', attributes: { name: 'Beta' } } });
  await client.call('POST', '/api/lists', { data: { type: 'list', attributes: { name: 'Gamma' } } });
  const names = async (filter: string) =>
    (await client.call('GET', `/api/lists?filter=${encodeURIComponent(filter)}`)).body.data.map(
      (list: { attributes: { name: string } }) => list.attributes.name,
    );
  assert.deepEqual(await names('any(name,["Alpha","Beta"])'), ['Alpha', 'Beta']);
  // get_lists' `name` takes only a list value (x-klaviyo-filters): equals over a list, not a single string.
  assert.deepEqual(await names('equals(name,["Beta"])'), ['Beta']);
  assertRefused(
    await client.call('GET', `/api/lists?filter=${encodeURIComponent('equals(name,"Beta")')}`),
    { parameter: 'filter' },
    'equals(name) with a single value',
  );
  assert.deepEqual(await names(`any(id,["${a.body.data.id}","${b.body.data.id}"])`), ['Alpha', 'Beta']);
  for (const filter of [
    'contains(name,"Al")',
    'less-than(created,2030-01-01T00:00:00Z)',
    'equals(opt_in_process,"x")',
  ])
    assertRefused(
      await client.call('GET', `/api/lists?filter=${encodeURIComponent(filter)}`),
      { parameter: 'filter' },
      filter,
    );

  await client.call('POST', '/api/events', eventBody('e@example.com', 'Placed Order'));
  const withProfile = await client.call('GET', `/api/events?filter=${encodeURIComponent('has(profile)')}`);
  assert.equal(withProfile.status, 200, JSON.stringify(withProfile.body));
  assert.equal(withProfile.body.data.length, 1);
  contract?.check('get_events', withProfile);
  assertRefused(
    await client.call(
      'GET',
      `/api/events?filter=${encodeURIComponent('equals(metric.name,"Placed Order")')}`,
    ),
    { parameter: 'filter' },
    'metric.name',
  );

  const item = await client.call('POST', '/api/catalog-items', {
    data: {
      type: 'catalog-item',
      attributes: { external_id: 'SKU-1', title: 'Mug', description: 'A mug', url: 'https://example.com/m' },
    },
  });
  const itemId = item.body.data.id;
  await client.call('POST', '/api/catalog-variants', {
    data: {
      type: 'catalog-variant',
      attributes: {
        external_id: 'SKU-1-red',
        title: 'Red mug',
        description: 'A red mug',
        sku: 'MUG-RED',
        inventory_quantity: 3,
        price: 9.5,
        url: 'https://example.com/m?red',
      },
      relationships: { item: { data: { type: 'catalog-item', id: itemId } } },
    },
  });
  const variants = await client.call(
    'GET',
    `/api/catalog-items/${encodeURIComponent(itemId)}/variants?filter=${encodeURIComponent('equals(sku,"MUG-RED")')}`,
  );
  assert.equal(variants.status, 200);
  assert.equal(variants.body.data.length, 1);
  assertRefused(
    await client.call('GET', `/api/catalog-items?filter=${encodeURIComponent('equals(sku,"MUG-RED")')}`),
    { parameter: 'filter' },
    'sku on items',
  );
  assertRefused(
    await client.call('GET', `/api/catalog-items?filter=${encodeURIComponent('equals(title,"Mug")')}`),
    { parameter: 'filter' },
    'equals on title',
  );
  const jobs = await client.call(
    'GET',
    `/api/profile-bulk-import-jobs?filter=${encodeURIComponent('equals(status,"complete")')}`,
  );
  assert.equal(jobs.status, 200);
});

test('undeclared profile and event attributes are refused on create, update, import, bulk import and events', async () => {
  const created = await client.call('POST', '/api/profiles', profileBody({ email: 'p@example.com' }));
  const id = created.body.data.id;
  assertRefused(
    await client.call(
      'POST',
      '/api/profiles',
      profileBody({ email: 'q@example.com', favourite_colour: 'red' }),
    ),
    { pointer: '/data/attributes/favourite_colour' },
    'create',
  );
  assertRefused(
    await client.call('PATCH', `/api/profiles/${id}`, {
      data: { type: 'profile', id, attributes: { loyalty_tier: 'gold' } },
    }),
    { pointer: '/data/attributes/loyalty_tier' },
    'update',
  );
  assertRefused(
    await client.call('POST', '/api/profile-import', profileBody({ email: 'p@example.com', tier: 'gold' })),
    { pointer: '/data/attributes/tier' },
    'import',
  );
  // `_kx` is declared for the import, not for create.
  assert.equal(
    (await client.call('POST', '/api/profile-import', profileBody({ email: 'p@example.com', _kx: 'k' })))
      .status,
    200,
  );
  assertRefused(
    await client.call('POST', '/api/profiles', profileBody({ email: 'r@example.com', _kx: 'k' })),
    { pointer: '/data/attributes/_kx' },
    'create with _kx',
  );
  const bulk = await client.call('POST', '/api/profile-bulk-import-jobs', {
    data: {
      type: 'profile-bulk-import-job',
      attributes: {
        profiles: {
          data: [
            { type: 'profile', attributes: { email: 'ok@example.com' } },
            { type: 'profile', attributes: { email: 'bad@example.com', segment: 'vip' } },
          ],
        },
      },
    },
  });
  assertRefused(bulk, { pointer: '/data/attributes/profiles/data/1/attributes/segment' }, 'bulk import');
  assertRefused(
    await client.call(
      'POST',
      '/api/events',
      eventBody('e@example.com', 'Viewed', {
        profile: { data: { type: 'profile', attributes: { email: 'e@example.com', nickname: 'E' } } },
      }),
    ),
    { pointer: '/data/attributes/profile/data/attributes/nickname' },
    'event profile',
  );
  assertRefused(
    await client.call('POST', '/api/events', eventBody('e@example.com', 'Viewed', { source: 'shop' })),
    { pointer: '/data/attributes/source' },
    'undeclared event attribute',
  );
  const bulkEvents = (group: Record<string, unknown>, event: Record<string, unknown>) => ({
    data: {
      type: 'event-bulk-create-job',
      attributes: {
        'events-bulk-create': {
          data: [
            {
              type: 'event-bulk-create',
              attributes: {
                profile: { data: { type: 'profile', attributes: { email: 'e@example.com' } } },
                events: {
                  data: [
                    {
                      type: 'event',
                      attributes: {
                        properties: {},
                        metric: { data: { type: 'metric', attributes: { name: 'Viewed' } } },
                        ...event,
                      },
                    },
                  ],
                },
                ...group,
              },
            },
          ],
        },
      },
    },
  });
  const groupPointer = '/data/attributes/events-bulk-create/data/0/attributes';
  assertRefused(
    await client.call('POST', '/api/event-bulk-create-jobs', bulkEvents({}, { profile: {} })),
    { pointer: `${groupPointer}/events/data/0/attributes/profile` },
    'a bulk event does not declare its own profile',
  );
  assertRefused(
    await client.call('POST', '/api/event-bulk-create-jobs', bulkEvents({ metric: 'x' }, {})),
    { pointer: `${groupPointer}/metric` },
    'undeclared group attribute',
  );
  await client.sandbox.state.idle();
  assert.equal(client.sandbox.state.account().profiles.size, 1, 'nothing refused was written');
});

test('a bulk import with a profile over 100 KB is refused whole', async () => {
  const answer = await client.call('POST', '/api/profile-bulk-import-jobs', {
    data: {
      type: 'profile-bulk-import-job',
      attributes: {
        profiles: {
          data: [
            { type: 'profile', attributes: { email: 'small@example.com' } },
            {
              type: 'profile',
              attributes: { email: 'big@example.com', properties: { notes: 'é'.repeat(52 * 1024) } },
            },
          ],
        },
      },
    },
  });
  assertRefused(answer, { pointer: '/data/attributes/profiles/data/1' }, 'big profile');
  contract?.check('bulk_import_profiles', answer);
  await client.sandbox.state.idle();
  assert.equal(client.sandbox.state.account().jobs.size, 0);
  assert.equal(client.sandbox.state.account().profiles.size, 0);
});

test('required parts: a deletion request needs the profile’s attributes, a PATCH needs data.id', async () => {
  const created = await client.call('POST', '/api/profiles', profileBody({ email: 'gone@example.com' }));
  const id = created.body.data.id;
  const deletion = (profile: unknown) => ({
    data: { type: 'data-privacy-deletion-job', attributes: { profile: { data: profile } } },
  });
  const withoutAttributes = await client.call(
    'POST',
    '/api/data-privacy-deletion-jobs',
    deletion({ type: 'profile', id }),
  );
  assertRefused(withoutAttributes, { pointer: '/data/attributes/profile/data/attributes' }, 'no attributes');
  contract?.check('request_profile_deletion', withoutAttributes);
  assertRefused(
    await client.call('POST', '/api/data-privacy-deletion-jobs', {
      data: { type: 'data-privacy-deletion-job' },
    }),
    { pointer: '/data/attributes' },
    'no job attributes',
  );
  assertRefused(
    await client.call(
      'POST',
      '/api/data-privacy-deletion-jobs',
      deletion({ type: 'profile', attributes: { email: 'gone@example.com', external_id: 'x' } }),
    ),
    { pointer: '/data/attributes/profile/data/attributes/external_id' },
    'undeclared external_id',
  );
  const byId = await client.call(
    'POST',
    '/api/data-privacy-deletion-jobs',
    deletion({ type: 'profile', id, attributes: {} }),
  );
  assert.equal(byId.status, 202);
  await client.sandbox.state.idle();
  assert.equal(client.sandbox.state.account().profiles.size, 0);

  const other = await client.call('POST', '/api/profiles', profileBody({ email: 'patch@example.com' }));
  const patchWithoutId = await client.call('PATCH', `/api/profiles/${other.body.data.id}`, {
    data: { type: 'profile', attributes: { first_name: 'P' } },
  });
  assertRefused(patchWithoutId, { pointer: '/data/id' }, 'PATCH without data.id');
  contract?.check('update_profile', patchWithoutId);
  const mismatch = await client.call('PATCH', `/api/profiles/${other.body.data.id}`, {
    data: { type: 'profile', id: 'OTHER', attributes: { first_name: 'P' } },
  });
  assert.equal(mismatch.status, 409, 'an id that differs from the URL stays a conflict');
});

test('subscribe and unsubscribe jobs refuse profile fields their schemas do not declare (the unsubscribe job has no id)', async () => {
  const created = await client.call('POST', '/api/profiles', profileBody({ email: 's@example.com' }));
  const id = created.body.data.id;
  const unsubscribe = await client.call(
    'POST',
    '/api/profile-subscription-bulk-delete-jobs',
    unsubscribeJob([
      {
        type: 'profile',
        id,
        attributes: {
          email: 's@example.com',
          subscriptions: { email: { marketing: { consent: 'UNSUBSCRIBED' } } },
        },
      },
    ]),
  );
  assertRefused(unsubscribe, { pointer: '/data/attributes/profiles/data/0/id' }, 'unsubscribe with id');
  contract?.check('bulk_unsubscribe_profiles', unsubscribe);
  assertRefused(
    await client.call(
      'POST',
      '/api/profile-subscription-bulk-create-jobs',
      subscribeJob([subscribeEntry({ email: 's@example.com', external_id: 'c-1' })]),
    ),
    { pointer: '/data/attributes/profiles/data/0/attributes/external_id' },
    'subscribe with external_id',
  );
  assertRefused(
    await client.call(
      'POST',
      '/api/profile-subscription-bulk-create-jobs',
      subscribeJob([
        {
          type: 'profile',
          attributes: {
            email: 's@example.com',
            subscriptions: { email: { marketing: { consent: 'SUBSCRIBED', method: 'form' } } },
          },
        },
      ]),
    ),
    { pointer: '/data/attributes/profiles/data/0/attributes/subscriptions/email/marketing/method' },
    'undeclared consent field',
  );
  // The subscribe job declares `id` on its profiles.
  const subscribe = await client.call(
    'POST',
    '/api/profile-subscription-bulk-create-jobs',
    subscribeJob([subscribeEntry({ email: 's@example.com' }, { id })]),
  );
  assert.equal(subscribe.status, 202);
  await client.sandbox.state.idle();
  assert.equal(
    client.sandbox.state.account().profiles.byId.get(id)?.consents?.emailMarketing?.consent,
    'SUBSCRIBED',
  );
});

test('events with backfill are stored but marked as not triggering flows, in the state', async () => {
  await client.call('POST', '/api/events', eventBody('b@example.com', 'Placed Order', { backfill: true }));
  clock += 1000;
  await client.call('POST', '/api/events', eventBody('b@example.com', 'Placed Order', { backfill: false }));
  clock += 1000;
  await client.call('POST', '/api/events', eventBody('b@example.com', 'Placed Order'));
  assertRefused(
    await client.call('POST', '/api/events', eventBody('b@example.com', 'Placed Order', { backfill: 'yes' })),
    { pointer: '/data/attributes/backfill' },
    'backfill must be a boolean',
  );
  const bulk = await client.call('POST', '/api/event-bulk-create-jobs', {
    data: {
      type: 'event-bulk-create-job',
      attributes: {
        'events-bulk-create': {
          data: [
            {
              type: 'event-bulk-create',
              attributes: {
                backfill: true,
                profile: { data: { type: 'profile', attributes: { email: 'bulk@example.com' } } },
                events: {
                  data: [
                    {
                      type: 'event',
                      attributes: {
                        properties: {},
                        unique_id: 'o-1',
                        metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
                      },
                    },
                    {
                      type: 'event',
                      attributes: {
                        properties: {},
                        unique_id: 'o-2',
                        backfill: false,
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
  });
  assert.equal(bulk.status, 202, JSON.stringify(bulk.body));
  await client.sandbox.state.idle();
  const state = await fetch(`${client.sandbox.url}/__sandbox/state?include=events`).then((r) => r.json());
  const events = state.accounts[0].events as Array<{
    backfill: boolean;
    triggers_flows: boolean;
    unique_id: string;
  }>;
  assert.deepEqual(
    events.map((event) => [event.backfill, event.triggers_flows]),
    [
      [true, false],
      [false, true],
      [false, true],
      [true, false],
      [false, true],
    ],
  );
  assert.equal(client.sandbox.state.account().events[0].backfill, true);
});

test('a subscription by historical import keeps its consented_at, in the state', async () => {
  const list = await client.call('POST', '/api/lists', {
    data: { type: 'list', attributes: { name: 'Double', opt_in_process: 'double_opt_in' } },
  });
  const answer = await client.call('POST', '/api/profile-subscription-bulk-create-jobs', {
    ...subscribeJob(
      [
        {
          type: 'profile',
          attributes: {
            email: 'h@example.com',
            subscriptions: {
              email: { marketing: { consent: 'SUBSCRIBED', consented_at: '2024-05-06T07:08:09Z' } },
            },
          },
        },
      ],
      { historical_import: true },
    ),
  });
  const withList = { ...answer };
  assert.equal(withList.status, 202, JSON.stringify(answer.body));
  await client.call('POST', '/api/profile-subscription-bulk-create-jobs', {
    data: {
      ...subscribeJob([subscribeEntry({ email: 'now@example.com' })]).data,
      relationships: { list: { data: { type: 'list', id: list.body.data.id } } },
    },
  });
  await client.sandbox.state.idle();
  const profile = client.sandbox.state.account().profiles.find('email', 'h@example.com')!;
  assert.equal(profile.consents?.emailMarketing?.consent, 'SUBSCRIBED');
  assert.equal(profile.consents?.emailMarketing?.historicalImport, true);
  assert.equal(profile.consents?.emailMarketing?.consentedAt, Date.parse('2024-05-06T07:08:09Z'));
  const state = await fetch(`${client.sandbox.url}/__sandbox/state?include=profiles`).then((r) => r.json());
  const view = state.accounts[0].profiles.find((p: { email: string }) => p.email === 'h@example.com');
  assert.equal(view.consents.emailMarketing.historical_import, true);
  assert.equal(view.consents.emailMarketing.consented_at, '2024-05-06T07:08:09.000Z');
  const read = await client.call(
    'GET',
    `/api/profiles/${profile.id}?additional-fields[profile]=subscriptions`,
  );
  assert.equal(
    read.body.data.attributes.subscriptions.email.marketing.consent_timestamp,
    '2024-05-06T07:08:09+00:00',
  );
  // A double opt-in list without historical import changes nothing until the person confirms.
  assert.equal(client.sandbox.state.account().profiles.find('email', 'now@example.com')?.consents, undefined);
});

test('a bulk import does not clear a field sent as null (Klaviyo’s bulk import guide); the other writes do', async () => {
  const created = await client.call(
    'POST',
    '/api/profiles',
    profileBody({
      email: 'keep@example.com',
      first_name: 'Ann',
      phone_number: '+15005550006',
      location: { city: 'Oslo' },
      properties: { tier: 'gold' },
    }),
  );
  const job = await client.call('POST', '/api/profile-bulk-import-jobs', {
    data: {
      type: 'profile-bulk-import-job',
      attributes: {
        profiles: {
          data: [
            {
              type: 'profile',
              attributes: {
                email: 'keep@example.com',
                first_name: null,
                last_name: 'Berg',
                phone_number: null,
                location: { city: null, country: 'NO' },
                properties: null,
              },
            },
          ],
        },
      },
    },
  });
  assert.equal(job.status, 202);
  await client.sandbox.state.idle();
  const read = await client.call('GET', `/api/profiles/${created.body.data.id}`);
  const attributes = read.body.data.attributes;
  assert.equal(attributes.first_name, 'Ann');
  assert.equal(attributes.last_name, 'Berg');
  assert.equal(attributes.phone_number, '+15005550006');
  assert.equal(attributes.location.city, 'Oslo');
  assert.equal(attributes.location.country, 'NO');
  assert.deepEqual(attributes.properties, { tier: 'gold' });
  const imported = await client.call(
    'POST',
    '/api/profile-import',
    profileBody({ email: 'keep@example.com', first_name: null }),
  );
  assert.equal(imported.body.data.attributes.first_name, null, 'create-or-update still clears with null');
});

test('catalog updates: null clears a nullable optional field; a field creation requires cannot be cleared', async () => {
  const created = await client.call('POST', '/api/catalog-items', {
    data: {
      type: 'catalog-item',
      attributes: {
        external_id: 'N-1',
        title: 'Plate',
        description: 'A plate',
        url: 'https://example.com/plate',
        price: 3,
        image_full_url: 'https://example.com/plate.png',
        published: null,
      },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.data.attributes.published, true);
  const id = created.body.data.id;
  const path = `/api/catalog-items/${encodeURIComponent(id)}`;
  const cleared = await client.call('PATCH', path, {
    data: { type: 'catalog-item', id, attributes: { image_full_url: null, price: null } },
  });
  assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
  assert.equal(cleared.body.data.attributes.image_full_url, null);
  assert.equal(cleared.body.data.attributes.price, null);
  contract?.check('update_catalog_item', cleared);
  assertRefused(
    await client.call('PATCH', path, { data: { type: 'catalog-item', id, attributes: { title: null } } }),
    { pointer: '/data/attributes/title' },
    'title cannot be cleared',
  );
});

test('every field and operator of the filter table is accepted by its operation, and nothing else', async () => {
  const list = await client.call('POST', '/api/lists', { data: { type: 'list', attributes: { name: 'L' } } });
  const item = await client.call('POST', '/api/catalog-items', {
    data: {
      type: 'catalog-item',
      attributes: { external_id: 'F-1', title: 'T', description: 'D', url: 'https://example.com/f' },
    },
  });
  const ids: Record<string, string> = {
    get_profiles_for_list: list.body.data.id,
    get_profile_ids_for_list: list.body.data.id,
    get_variants_for_catalog_item: encodeURIComponent(item.body.data.id),
  };
  // A value of the type the spec gives the field (x-klaviyo-filters' value), and one of another type.
  const good = (rule: FilterFieldRule): string =>
    rule.value?.format === 'date-time'
      ? '2026-01-01T00:00:00Z'
      : rule.value?.type === 'number' || rule.value?.type === 'integer'
        ? '1767225600'
        : rule.value?.type === 'boolean'
          ? 'true'
          : JSON.stringify(rule.value?.enum?.[0] ?? 'x');
  const bad = (rule: FilterFieldRule): string | undefined =>
    rule.value?.format === 'date-time' || rule.value?.type === 'number' || rule.value?.type === 'boolean'
      ? '"x"'
      : rule.value?.enum
        ? '"not-in-the-enum"'
        : undefined;
  const form = (operator: string, field: string, kind: 'single' | 'list' | 'none', value: string) =>
    kind === 'none'
      ? `${operator}(${field})`
      : kind === 'list'
        ? `${operator}(${field},[${value}])`
        : `${operator}(${field},${value})`;
  let checked = 0;
  for (const [operationId, rules] of Object.entries(FILTER_RULES)) {
    const operation = OPERATIONS.find((each) => each.operationId === operationId)!;
    const path = operation.path.replace(/\{\w+\}/, () => ids[operationId]);
    const get = (filter: string) => client.call('GET', `${path}?filter=${encodeURIComponent(filter)}`);
    for (const [field, rule] of Object.entries(rules)) {
      const all = new Set<string>();
      for (const kind of ['single', 'list', 'none'] as const) {
        for (const operator of rule.operators[kind] ?? []) {
          all.add(operator);
          const filter = form(operator, field, kind, good(rule));
          const answer = await get(filter);
          assert.equal(answer.status, 200, `${operationId} ${filter}: ${JSON.stringify(answer.body)}`);
          checked++;
          const wrong = bad(rule);
          if (kind !== 'none' && wrong)
            assertRefused(
              await get(form(operator, field, kind, wrong)),
              { parameter: 'filter' },
              `${operationId} ${operator}(${field}) with ${wrong}`,
            );
          // The other value form (a list where the spec wants one value, or the reverse) is refused.
          const other = kind === 'single' ? 'list' : kind === 'list' ? 'single' : undefined;
          if (other && !(rule.operators[other] ?? []).includes(operator))
            assertRefused(
              await get(form(operator, field, other, good(rule))),
              { parameter: 'filter' },
              `${operationId} ${operator}(${field}) with a ${other} value`,
            );
        }
      }
      const unlisted = ['equals', 'any', 'contains', 'has', 'greater-than'].find((op) => !all.has(op))!;
      const kind = unlisted === 'has' ? 'none' : unlisted === 'any' ? 'list' : 'single';
      assertRefused(
        await get(form(unlisted, field, kind, good(rule))),
        { parameter: 'filter' },
        `${operationId} ${unlisted} on ${field}`,
      );
    }
    assertRefused(
      await get('equals(not_a_field,"x")'),
      { parameter: 'filter' },
      `${operationId} undeclared field`,
    );
  }
  assert.ok(checked >= 50, `${checked} field/operator pairs checked`);
});
