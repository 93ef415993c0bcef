// The rules that matter most to the product: request checks, duplicate profiles, null/omit semantics,
// event deduplication, whole-batch failure of bulk events, cursors, jobs and consent.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { type Client, eventBody, loadContract, openSandbox, profileBody } from './helpers.ts';

const contract = loadContract();
let client: Client;
let clock = Date.parse('2026-03-01T12:00:00Z');

beforeEach(async () => {
  clock = Date.parse('2026-03-01T12:00:00Z');
  client = await openSandbox({ now: () => clock });
});
afterEach(() => client.close());

test('requests need a valid revision, credentials, the JSON:API content type and a bounded payload', async () => {
  const body = profileBody({ email: 'a@example.com' });
  const cases: Array<[Record<string, string>, number, string]> = [
    [{ revision: '' }, 400, 'invalid'],
    [{ revision: '2026-13-45' }, 400, 'invalid'],
    [{ revision: '2023-10-15' }, 410, 'gone'],
    [{ authorization: '' }, 401, 'not_authenticated'],
    [{ authorization: 'Klaviyo-API-Key pk_wrong' }, 401, 'authentication_failed'],
    [{ 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
  ];
  for (const [headers, status, code] of cases) {
    const answer = await client.call('POST', '/api/profiles', body, headers);
    assert.equal(answer.status, status, JSON.stringify(headers));
    assert.equal(answer.body.errors[0].code, code);
    contract?.check('create_profile', answer);
  }
  const huge = profileBody({ email: 'big@example.com', properties: { blob: 'x'.repeat(110 * 1024) } });
  assert.equal((await client.call('POST', '/api/profiles', huge)).status, 413);
  assert.equal((await client.call('GET', '/api/nothing-here')).status, 404);
  assert.equal((await client.call('PUT', '/api/profiles')).status, 405);
  assert.equal((await client.call('POST', '/api/profiles', '{not json')).status, 400);
  assert.equal(client.sandbox.state.account().profiles.size, 0);
});

test('creating a profile whose identifier exists answers 409 duplicate_profile with its id', async () => {
  const first = await client.call(
    'POST',
    '/api/profiles',
    profileBody({ email: 'Dup@Example.com', external_id: 'c-1' }),
  );
  const again = await client.call('POST', '/api/profiles', profileBody({ email: 'dup@example.com' }));
  assert.equal(again.status, 409);
  assert.equal(again.body.errors[0].code, 'duplicate_profile');
  assert.equal(again.body.errors[0].meta.duplicate_profile_id, first.body.data.id);
  const byExternalId = await client.call(
    'POST',
    '/api/profiles',
    profileBody({ email: 'new@example.com', external_id: 'c-1' }),
  );
  assert.equal(byExternalId.body.errors[0].meta.duplicate_profile_id, first.body.data.id);
});

test('identifiers that belong to two profiles answer 409 on update and import', async () => {
  const a = await client.call('POST', '/api/profiles', profileBody({ email: 'a@example.com' }));
  const b = await client.call('POST', '/api/profiles', profileBody({ phone_number: '+15005550006' }));
  const patch = await client.call('PATCH', `/api/profiles/${a.body.data.id}`, {
    data: { type: 'profile', id: a.body.data.id, attributes: { phone_number: '+15005550006' } },
  });
  assert.equal(patch.status, 409);
  assert.equal(patch.body.errors[0].meta.duplicate_profile_id, b.body.data.id);
  const upsert = await client.call(
    'POST',
    '/api/profile-import',
    profileBody({ email: 'a@example.com', phone_number: '+15005550006' }),
  );
  assert.equal(upsert.status, 409);
  assert.equal(upsert.body.errors[0].code, 'duplicate_profile');
});

test('update: null clears a field, an omitted field stays', async () => {
  const created = await client.call(
    'POST',
    '/api/profiles',
    profileBody({
      email: 'n@example.com',
      first_name: 'Nia',
      last_name: 'Obi',
      properties: { tier: 'gold' },
    }),
  );
  const id = created.body.data.id;
  clock += 5000;
  const updated = await client.call('PATCH', `/api/profiles/${id}`, {
    data: { type: 'profile', id, attributes: { first_name: null, properties: { vip: true } } },
  });
  assert.equal(updated.status, 200);
  const attributes = updated.body.data.attributes;
  assert.equal(attributes.first_name, null);
  assert.equal(attributes.last_name, 'Obi');
  assert.deepEqual(attributes.properties, { tier: 'gold', vip: true });
  assert.notEqual(attributes.updated, attributes.created);
});

test('phone numbers must be E.164 and emails valid', async () => {
  for (const attributes of [{ phone_number: '555-0100' }, { phone_number: '+0123' }, { email: 'a@b' }]) {
    const answer = await client.call('POST', '/api/profile-import', profileBody(attributes));
    assert.equal(answer.status, 400, JSON.stringify(attributes));
    assert.match(answer.body.errors[0].source.pointer, /^\/data\/attributes\//);
  }
});

test('profiles: filter, sort, sparse fields and cursor pages', async () => {
  for (let i = 0; i < 25; i++) {
    clock += 1000;
    await client.call(
      'POST',
      '/api/profiles',
      profileBody({ email: `p${i}@example.com`, first_name: `P${i}` }),
    );
  }
  const seen: string[] = [];
  let path: string | undefined = '/api/profiles?page[size]=10&fields[profile]=email';
  let pages = 0;
  while (path) {
    const answer = await client.call('GET', path);
    pages++;
    for (const profile of answer.body.data) {
      assert.deepEqual(Object.keys(profile.attributes), ['email']);
      seen.push(profile.id);
    }
    path = answer.body.links.next ? answer.body.links.next.slice(client.sandbox.url.length) : undefined;
  }
  assert.equal(pages, 3);
  assert.equal(new Set(seen).size, 25);
  const after = new Date(Date.parse('2026-03-01T12:00:20Z')).toISOString();
  const recent = await client.call(
    'GET',
    `/api/profiles?filter=greater-than(created,${after})&sort=-created`,
  );
  assert.deepEqual(
    recent.body.data.map((p: { attributes: { email: string } }) => p.attributes.email),
    ['p24@example.com', 'p23@example.com', 'p22@example.com', 'p21@example.com', 'p20@example.com'],
  );
  const some = await client.call(
    'GET',
    '/api/profiles?filter=any(email,["p3@example.com","p4@example.com","nobody@example.com"])',
  );
  assert.equal(some.body.data.length, 2);
  assert.equal((await client.call('GET', '/api/profiles?page[size]=101')).status, 400);
  assert.equal((await client.call('GET', '/api/profiles?sort=first_name')).status, 400);
});

test('events: unique_id deduplicates per profile and metric; without it, one per second', async () => {
  const send = (email: string, metric: string, extra = {}) =>
    client.call('POST', '/api/events', eventBody(email, metric, extra));
  assert.equal((await send('e@example.com', 'Placed Order', { unique_id: 'order-1' })).status, 202);
  assert.equal((await send('e@example.com', 'Placed Order', { unique_id: 'order-1' })).status, 202);
  await send('e@example.com', 'Ordered Product', { unique_id: 'order-1' });
  await send('other@example.com', 'Placed Order', { unique_id: 'order-1' });
  await send('e@example.com', 'Viewed Product', { time: '2026-03-01T11:00:00.100Z' });
  await send('e@example.com', 'Viewed Product', { time: '2026-03-01T11:00:00.900Z' });
  await send('e@example.com', 'Viewed Product', { time: '2026-03-01T11:00:01.000Z' });
  const account = client.sandbox.state.account();
  assert.equal(account.events.length, 5);
  assert.deepEqual([...account.metricsByName.keys()].sort(), [
    'Ordered Product',
    'Placed Order',
    'Viewed Product',
  ]);
  const profile = account.profiles.find('email', 'e@example.com')!;
  assert.equal(profile.lastEventDate, clock - (clock % 1000));
});

test('an event creates or updates its profile', async () => {
  await client.call(
    'POST',
    '/api/events',
    eventBody('fresh@example.com', 'Placed Order', {
      profile: {
        data: {
          type: 'profile',
          attributes: { email: 'fresh@example.com', first_name: 'Fay', properties: { source: 'pos' } },
        },
      },
    }),
  );
  const profile = client.sandbox.state.account().profiles.find('email', 'fresh@example.com');
  assert.equal(profile?.first_name, 'Fay');
  assert.deepEqual(profile?.properties, { source: 'pos' });
});

function bulkEvents(groups: Array<{ email: string; events: Array<{ metric: string; uniqueId?: string }> }>) {
  return {
    data: {
      type: 'event-bulk-create-job',
      attributes: {
        'events-bulk-create': {
          data: groups.map((group) => ({
            type: 'event-bulk-create',
            attributes: {
              profile: { data: { type: 'profile', attributes: { email: group.email } } },
              events: {
                data: group.events.map((event) => ({
                  type: 'event',
                  attributes: {
                    properties: {},
                    unique_id: event.uniqueId,
                    metric: { data: { type: 'metric', attributes: { name: event.metric } } },
                  },
                })),
              },
            },
          })),
        },
      },
    },
  };
}

test('a bulk event job with a repeated unique_id for the same profile and metric fails whole', async () => {
  const body = bulkEvents([
    {
      email: 'b1@example.com',
      events: [
        { metric: 'Placed Order', uniqueId: 'x' },
        { metric: 'Placed Order', uniqueId: 'y' },
      ],
    },
    { email: 'b2@example.com', events: [{ metric: 'Placed Order', uniqueId: 'z' }] },
    { email: 'b1@example.com', events: [{ metric: 'Placed Order', uniqueId: 'x' }] },
  ]);
  const answer = await client.call('POST', '/api/event-bulk-create-jobs', body);
  assert.equal(answer.status, 400);
  assert.match(answer.body.errors[0].detail, /unique_id/);
  await client.sandbox.state.idle();
  const account = client.sandbox.state.account();
  assert.equal(account.events.length, 0);
  assert.equal(account.profiles.size, 0);

  const fine = bulkEvents([
    {
      email: 'b1@example.com',
      events: [
        { metric: 'Placed Order', uniqueId: 'x' },
        { metric: 'Ordered Product', uniqueId: 'x' },
      ],
    },
    { email: 'b2@example.com', events: [{ metric: 'Placed Order', uniqueId: 'x' }] },
  ]);
  assert.equal((await client.call('POST', '/api/event-bulk-create-jobs', fine)).status, 202);
  await client.sandbox.state.idle();
  assert.equal(account.events.length, 3);
  const tooMany = bulkEvents([
    {
      email: 'm@example.com',
      events: Array.from({ length: 1001 }, (_, i) => ({ metric: 'M', uniqueId: String(i) })),
    },
  ]);
  assert.equal((await client.call('POST', '/api/event-bulk-create-jobs', tooMany)).status, 400);
});

test('a profile bulk import job is queued, then complete with counts, errors and its list', async () => {
  const list = await client.call('POST', '/api/lists', {
    data: { type: 'list', attributes: { name: 'VIP' } },
  });
  const profiles = Array.from({ length: 1500 }, (_, i) => ({
    type: 'profile',
    attributes: { email: i === 7 ? 'bad' : `bulk${i}@example.com` },
  }));
  const created = await client.call('POST', '/api/profile-bulk-import-jobs', {
    data: {
      type: 'profile-bulk-import-job',
      attributes: { profiles: { data: profiles } },
      relationships: { lists: { data: [{ type: 'list', id: list.body.data.id }] } },
    },
  });
  assert.equal(created.status, 202);
  assert.equal(created.body.data.attributes.status, 'queued');
  const job = client.sandbox.state.account().jobs.get(created.body.data.id)!;
  await client.sandbox.state.idle();
  assert.equal(job.status, 'complete');
  assert.ok(job.startedAt !== undefined && job.completedAt !== undefined && job.startedAt <= job.completedAt);
  const done = await client.call('GET', `/api/profile-bulk-import-jobs/${job.id}`);
  assert.deepEqual(
    [
      done.body.data.attributes.total_count,
      done.body.data.attributes.completed_count,
      done.body.data.attributes.failed_count,
    ],
    [1500, 1499, 1],
  );
  const errors = await client.call('GET', `/api/profile-bulk-import-jobs/${job.id}/import-errors`);
  assert.equal(
    errors.body.data[0].attributes.source.pointer,
    '/data/attributes/profiles/data/7/attributes/email',
  );
  assert.equal(client.sandbox.state.account().lists.get(list.body.data.id)!.members.size, 1499);
  const tooMany = Array.from({ length: 10_001 }, (_, i) => ({
    type: 'profile',
    attributes: { email: `t${i}@example.com` },
  }));
  const refused = await client.call('POST', '/api/profile-bulk-import-jobs', {
    data: { type: 'profile-bulk-import-job', attributes: { profiles: { data: tooMany } } },
  });
  assert.equal(refused.status, 400);
});

function consentBody(
  type: string,
  consent: string,
  emails: string[],
  listId?: string,
  extra: Record<string, unknown> = {},
) {
  return {
    data: {
      type,
      attributes: {
        ...extra,
        profiles: {
          data: emails.map((email) => ({
            type: 'profile',
            attributes: {
              email,
              subscriptions: {
                email: {
                  marketing: {
                    consent,
                    ...(extra.historical_import ? { consented_at: '2025-01-01T00:00:00Z' } : {}),
                  },
                },
              },
            },
          })),
        },
      },
      ...(listId ? { relationships: { list: { data: { type: 'list', id: listId } } } } : {}),
    },
  };
}

test('subscribe adds consent and membership; unsubscribe with a list unsubscribes globally those not on it', async () => {
  const list = await client.call('POST', '/api/lists', {
    data: { type: 'list', attributes: { name: 'News' } },
  });
  const listId = list.body.data.id;
  await client.call(
    'POST',
    '/api/profile-subscription-bulk-create-jobs',
    consentBody('profile-subscription-bulk-create-job', 'SUBSCRIBED', ['on@example.com'], listId),
  );
  await client.call(
    'POST',
    '/api/profile-subscription-bulk-create-jobs',
    consentBody('profile-subscription-bulk-create-job', 'SUBSCRIBED', ['off@example.com']),
  );
  await client.sandbox.state.idle();
  const account = client.sandbox.state.account();
  const on = account.profiles.find('email', 'on@example.com')!;
  const off = account.profiles.find('email', 'off@example.com')!;
  assert.equal(on.consents?.emailMarketing?.consent, 'SUBSCRIBED');
  assert.ok(account.lists.get(listId)!.members.has(on.id));

  await client.call(
    'POST',
    '/api/profile-subscription-bulk-delete-jobs',
    consentBody(
      'profile-subscription-bulk-delete-job',
      'UNSUBSCRIBED',
      ['on@example.com', 'off@example.com'],
      listId,
    ),
  );
  await client.sandbox.state.idle();
  assert.equal(account.lists.get(listId)!.members.has(on.id), false);
  assert.equal(on.consents?.emailMarketing?.consent, 'SUBSCRIBED');
  assert.equal(off.consents?.emailMarketing?.consent, 'UNSUBSCRIBED');
  const read = await client.call('GET', `/api/profiles/${off.id}?additional-fields[profile]=subscriptions`);
  assert.equal(read.body.data.attributes.subscriptions.email.marketing.can_receive_email_marketing, false);

  const historicalWithoutDate = consentBody(
    'profile-subscription-bulk-create-job',
    'SUBSCRIBED',
    ['h@example.com'],
    undefined,
    { historical_import: true },
  );
  delete (
    historicalWithoutDate.data.attributes.profiles.data[0].attributes.subscriptions.email.marketing as Record<
      string,
      unknown
    >
  ).consented_at;
  assert.equal(
    (await client.call('POST', '/api/profile-subscription-bulk-create-jobs', historicalWithoutDate)).status,
    400,
  );
  const emails = Array.from({ length: 101 }, (_, i) => `u${i}@example.com`);
  assert.equal(
    (
      await client.call(
        'POST',
        '/api/profile-subscription-bulk-delete-jobs',
        consentBody('profile-subscription-bulk-delete-job', 'UNSUBSCRIBED', emails),
      )
    ).status,
    400,
  );
});

test('accounts are isolated by key', async () => {
  const other = client.sandbox.createAccount('Second Store');
  await client.call('POST', '/api/profiles', profileBody({ email: 'shared@example.com' }));
  const created = await client.call('POST', '/api/profiles', profileBody({ email: 'shared@example.com' }), {
    authorization: `Klaviyo-API-Key ${other.apiKey}`,
  });
  assert.equal(created.status, 201);
  const accounts = await client.call('GET', '/api/accounts', undefined, {
    authorization: `Klaviyo-API-Key ${other.apiKey}`,
  });
  assert.equal(accounts.body.data[0].id, other.accountId);
});

test('profiles sort by email, updated and id, absent values last', async () => {
  const ids: string[] = [];
  for (const attributes of [
    { email: 'c@example.com' },
    { external_id: 'no-email' },
    { email: 'a@example.com' },
    { email: 'b@example.com' },
  ]) {
    clock += 1000;
    ids.push((await client.call('POST', '/api/profiles', profileBody(attributes))).body.data.id);
  }
  clock += 1000;
  await client.call('PATCH', `/api/profiles/${ids[0]}`, {
    data: { type: 'profile', id: ids[0], attributes: { first_name: 'C' } },
  });
  const order = async (sort: string) =>
    (await client.call('GET', `/api/profiles?sort=${sort}`)).body.data.map((p: { id: string }) =>
      ids.indexOf(p.id),
    );
  assert.deepEqual(await order('email'), [2, 3, 0, 1]);
  assert.deepEqual(await order('-updated'), [0, 3, 2, 1]);
  assert.deepEqual(await order('id'), [0, 1, 2, 3]);
  assert.deepEqual(await order('-id'), [3, 2, 1, 0]);
});
