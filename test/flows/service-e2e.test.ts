// The flows through the real service and the sandbox: hub records written through the REST API, a
// subscription made through the API with its default collections, and Klaviyo's side read back from the
// sandbox's own state.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { postToSandbox } from '../helpers/sandbox-api.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

let sandbox: Sandbox;
let svc: TestService;

/** The record's transfers once none is queued or running any more. */
async function settled(subscriptionId: string, recordId: string, count = 1) {
  return waitFor(`transfers of ${recordId}`, async () => {
    const answer = await svc.api(
      'GET',
      `/api/v1/transfers?subscription=${subscriptionId}&record=${encodeURIComponent(recordId)}`,
    );
    const data = answer.body.data as {
      state: string;
      error_code: string | null;
      error_message: string | null;
      id: string;
    }[];
    if (data.length < count || data.some((t) => t.state === 'queued' || t.state === 'running'))
      return undefined;
    await sandbox.state.idle();
    return data;
  });
}

async function makeSubscription(name: string, settings: Record<string, unknown> = {}) {
  const made = await svc.api('POST', '/api/v1/subscriptions', {
    name,
    api_url: sandbox.url,
    api_key: sandbox.apiKey,
    default_phone_country: 'US',
    ...settings,
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return made.body.id as string;
}

async function addCustomerFieldMappings(subscriptionId: string) {
  const list = await svc.api('GET', `/api/v1/subscriptions/${subscriptionId}/collections`);
  for (const collection of list.body.data) {
    if (collection.type !== 'customer' || collection.direction !== 'from_hub') continue;
    const { id, subscription_id: _s, created_at: _c, updated_at: _u, ...spec } = collection;
    const mappings = [
      ...collection.mappings,
      ...['SubscribeProfile', 'UCLIST_VIP', 'LIST_News'].map((name) => ({
        destination: name,
        type: 'dynamic_formula',
        formula: `$customField("${name}")`,
      })),
    ];
    const saved = await svc.api('PUT', `/api/v1/collections/${id}`, { ...spec, mappings });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
  }
}

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false])
  describe(`Klaviyo flows through the service (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    let subscriptionId: string;
    before(async () => {
      sandbox = await startSandbox();
      svc = await startTestService({ postgres, env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
      subscriptionId = await makeSubscription('Shop');
      await addCustomerFieldMappings(subscriptionId);
    });
    after(async () => {
      await svc?.close();
      await sandbox?.close();
    });

    test('customers: linked not duplicated, invalid phone dropped, consent and lists as the custom fields say', async () => {
      const account = sandbox.state.account();
      const existing = await postToSandbox(sandbox, '/api/profiles', {
        type: 'profile',
        attributes: { email: 'known@example.com', first_name: 'K' },
      });
      const vip = [...account.lists.values()].find((l) => l.name === 'VIP') ?? (await createList('VIP'));
      const news = [...account.lists.values()].find((l) => l.name === 'News') ?? (await createList('News'));

      const put = await svc.api('PUT', '/api/v1/customers/e2e-1', {
        email_address: 'known@example.com',
        first_name: 'Known',
        addresses: [{ is_primary_billing: true, phone_number: '12', country: 'US' }],
        custom_fields: [
          { custom_field_name: 'SubscribeProfile', value: 'true' },
          { custom_field_name: 'UCLIST_VIP', value: 'true' },
          { custom_field_name: 'LIST_News', value: 'true' },
        ],
      });
      assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
      const [first] = await settled(subscriptionId, 'e2e-1');
      assert.equal(first.state, 'succeeded', first.error_message ?? '');

      const profile = account.profiles.byId.get(existing.data.id)!;
      assert.equal(account.profiles.size, 1, 'linked, not duplicated');
      assert.equal(profile.first_name, 'Known');
      assert.equal(profile.phone_number, undefined, 'the invalid phone is dropped');
      assert.equal(profile.consents?.emailMarketing?.consent, 'SUBSCRIBED');
      assert.equal(vip.members.has(profile.id), true);
      assert.equal(news.members.has(profile.id), true);
      const detail = await svc.api('GET', `/api/v1/transfers/${first.id}`);
      const steps = (detail.body.steps ?? []) as { kind: string; message: string }[];
      assert.ok(
        steps.some((s) => s.kind === 'warning' && /Phone number|phone/.test(s.message)),
        JSON.stringify(steps),
      );

      // LIST_News=false: off News, still subscribed, still on VIP.
      await svc.api('PUT', '/api/v1/customers/e2e-1', {
        email_address: 'known@example.com',
        first_name: 'Known',
        custom_fields: [{ custom_field_name: 'LIST_News', value: 'false' }],
      });
      await settled(subscriptionId, 'e2e-1', 2);
      assert.equal(news.members.has(profile.id), false);
      assert.equal(vip.members.has(profile.id), true);
      assert.equal(profile.consents?.emailMarketing?.consent, 'SUBSCRIBED', 'no global unsubscribe');
    });

    test('orders: 1 Placed Order and 3 Ordered Product, nothing new on resend, one Canceled Order', async () => {
      const account = sandbox.state.account();
      const order = {
        email_address: 'buyer@example.com',
        status: 'processing',
        currency: 'EUR',
        total: 42,
        lines: [1, 2, 3].map((n) => ({
          id: `l${n}`,
          sku: `S${n}`,
          description: `Item ${n}`,
          qty: n,
          unit_price: 7,
          extended_price: 7 * n,
        })),
      };
      await svc.api('PUT', '/api/v1/transactions/e2e-t1', order);
      await settled(subscriptionId, 'e2e-t1');
      const count = (metric: string) => {
        const m = account.metricsByName.get(metric);
        return m ? account.events.filter((e) => e.metricId === m.id).length : 0;
      };
      assert.equal(count('Placed Order'), 1);
      assert.equal(count('Ordered Product'), 3);
      await svc.api('PUT', '/api/v1/transactions/e2e-t1', { ...order, total: 42 });
      await settled(subscriptionId, 'e2e-t1', 2);
      assert.equal(count('Placed Order'), 1);
      assert.equal(count('Ordered Product'), 3);
      await svc.api('PUT', '/api/v1/transactions/e2e-t1', { ...order, status: 'canceled' });
      const transfers = await settled(subscriptionId, 'e2e-t1', 3);
      assert.equal(transfers[0].state, 'succeeded', transfers[0].error_message ?? '');
      assert.equal(count('Canceled Order'), 1);
      const canceled = account.events.find(
        (e) => e.metricId === account.metricsByName.get('Canceled Order')?.id,
      );
      assert.equal(canceled?.uniqueId, 'e2e-t1');
    });

    test('Generate Events off: order transfers are skipped with the reason', async () => {
      // A Klaviyo account of its own, so this subscription's customer flow never touches the first one's.
      const { apiKey } = sandbox.createAccount('Second store');
      const other = await makeSubscription('No events', { generate_events: false, api_key: apiKey });
      await svc.api('PUT', '/api/v1/transactions/e2e-t2', {
        email_address: 'x@example.com',
        total: 5,
        lines: [],
      });
      const [transfer] = await settled(other, 'e2e-t2');
      assert.equal(transfer.state, 'skipped');
      assert.match(transfer.error_message ?? '', /Generate Events is off/);
    });

    test('a Klaviyo-side change reaches the hub by polling and by an inbound notification', async () => {
      const account = sandbox.state.account();
      await svc.api('PUT', '/api/v1/customers/e2e-p1', {
        email_address: 'poll@example.com',
        first_name: 'Before',
      });
      await settled(subscriptionId, 'e2e-p1');
      const profile = [...account.profiles.byId.values()].find((p) => p.email === 'poll@example.com')!;
      await new Promise((resolve) => setTimeout(resolve, 5));
      profile.first_name = 'After';
      profile.updated = Date.now();

      // Make the next poll due now, then run it.
      const { engine, scheduler } = svc.ctx.transfers!;
      await engine.watermarks.set(subscriptionId, 'poll-last-run:profiles', new Date(0).toISOString());
      await waitFor('a poll', async () => (await scheduler.tick()).includes(`${subscriptionId}:profiles`));
      await settled(subscriptionId, profile.id);
      const customer = await svc.api('GET', '/api/v1/customers/e2e-p1');
      assert.equal(customer.body.first_name, 'After');

      // A notification names the profile; the change arrives at once.
      profile.last_name = 'Notified';
      profile.updated = Date.now();
      const view = await svc.api('GET', `/api/v1/subscriptions/${subscriptionId}`);
      const key = await rotateKey(subscriptionId, view.body);
      const hook = await fetch(`${svc.baseUrl}/hooks/${subscriptionId}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ notifications: [{ scope: 'profile/updated', external_id: profile.id }] }),
      });
      assert.equal(hook.status, 202);
      const notified = await settled(subscriptionId, profile.id, 2);
      assert.equal(notified[0].state, 'succeeded', JSON.stringify(notified));
      assert.equal((await svc.api('GET', '/api/v1/customers/e2e-p1')).body.last_name, 'Notified');
      // No echo: the customer got no new FROM-hub transfer from these hub writes.
      assert.equal((await settled(subscriptionId, 'e2e-p1')).length, 1);
    });

    test('manual sync by Klaviyo profile id creates the hub customer', async () => {
      const account = sandbox.state.account();
      const made = await postToSandbox(sandbox, '/api/profiles', {
        type: 'profile',
        attributes: { email: 'manual@example.com', first_name: 'Manu' },
      });
      const collections = await svc.api('GET', `/api/v1/subscriptions/${subscriptionId}/collections`);
      const addToHub = collections.body.data.find(
        (c: { type: string; direction: string; sync_type: string; parent_id: string | null }) =>
          c.type === 'customer' && c.direction === 'to_hub' && c.sync_type === 'add' && !c.parent_id,
      );
      const sync = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/manual-sync`, {
        collection_id: addToHub.id,
        ids: [made.data.id],
        debug: true,
      });
      assert.equal(sync.status, 202, JSON.stringify(sync.body));
      const [transfer] = await settled(subscriptionId, made.data.id);
      assert.equal(transfer.state, 'succeeded', transfer.error_message ?? '');
      const found = await svc.api('GET', '/api/v1/customers?email=manual@example.com');
      assert.equal(found.body.data.length, 1);
      assert.equal(found.body.data[0].first_name, 'Manu');
      assert.ok(account.profiles.byId.has(made.data.id));
    });
  });

async function createList(name: string) {
  const answer = await postToSandbox(sandbox, '/api/lists', { type: 'list', attributes: { name } });
  return sandbox.state.account().lists.get(answer.data.id)!;
}

async function rotateKey(subscriptionId: string, _view: unknown): Promise<string> {
  const rotated = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/webhook-key`);
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  return rotated.body.webhook_api_key;
}
