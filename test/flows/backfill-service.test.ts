// History through the whole service (docs/flows.md, "History: backfill and historical consent"): the
// backfill window is a validated subscription setting, and a manual sync marked as a backfill — through the
// API and through `klaviyo-sync sync --backfill` — sends its events with backfill. Klaviyo's side is read
// back from the sandbox's own state.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { runCli } from '../cli/run-cli.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

let sandbox: Sandbox;
let svc: TestService;

async function makeSubscription(name: string, settings: Record<string, unknown> = {}) {
  const made = await svc.api('POST', '/api/v1/subscriptions', {
    name,
    api_url: sandbox.url,
    api_key: sandbox.apiKey,
    ...settings,
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return made.body;
}

/** The order's events in the sandbox once its transfer settled. */
async function eventsOf(subscriptionId: string, orderId: string) {
  await waitFor(`the transfers of ${orderId}`, async () => {
    const answer = await svc.api('GET', `/api/v1/transfers?subscription=${subscriptionId}&record=${orderId}`);
    const data = answer.body.data as { state: string }[];
    return data.length > 0 && data.every((t) => t.state !== 'queued' && t.state !== 'running') && data;
  });
  await sandbox.state.idle();
  const account = sandbox.state.account();
  return account.events.filter((e) => e.uniqueId === orderId || e.uniqueId.startsWith(`${orderId}:`));
}

function recentOrder(id: string) {
  return {
    transaction_number: `#${id}`,
    email_address: `${id.toLowerCase()}@example.com`,
    currency: 'USD',
    total: 5,
    created_datetime: new Date(Date.now() - 60_000).toISOString(),
    lines: [{ id: 'L1', sku: 'A', qty: 1, unit_price: 5, extended_price: 5 }],
  };
}

describe('backfill through the service', () => {
  before(async () => {
    sandbox = await startSandbox();
    svc = await startTestService({ env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
  });
  after(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  test('the backfill window defaults to 24 hours, takes 0 (off) and refuses what is not whole hours in range', async () => {
    const made = await makeSubscription('Window');
    assert.equal(made.backfill_window_hours, 24);
    for (const bad of [-1, 1.5, 9000, '24', null]) {
      const answer = await svc.api('PATCH', `/api/v1/subscriptions/${made.id}`, {
        backfill_window_hours: bad,
      });
      assert.equal(answer.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'VALIDATION_FAILED');
      assert.equal(answer.body.error.field, 'backfill_window_hours');
      assert.match(answer.body.error.message, /Backfill window \(hours\)/);
    }
    const refused = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Window bad',
      api_url: sandbox.url,
      backfill_window_hours: -5,
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.field, 'backfill_window_hours');
    assert.match(refused.body.error.message, /0 \(off\) or more/);
    const off = await svc.api('PATCH', `/api/v1/subscriptions/${made.id}`, { backfill_window_hours: 0 });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.backfill_window_hours, 0);
    assert.equal((await svc.api('GET', `/api/v1/subscriptions/${made.id}`)).body.backfill_window_hours, 0);
    // Gone, so its own order flows do not send the next tests' orders to the same sandbox account.
    assert.equal((await svc.api('DELETE', `/api/v1/subscriptions/${made.id}`)).status, 204);
  });

  test('a manual sync marked as a backfill sends a recent order as backfill; an unmarked one does not', async () => {
    const { id } = await makeSubscription('Manual backfill');
    // Orders reach Klaviyo only through the manual syncs below.
    const flows = await svc.api('PUT', `/api/v1/subscriptions/${id}/flows`, {
      'transaction/created': false,
      'transaction/updated': false,
    });
    assert.equal(flows.status, 200, JSON.stringify(flows.body));
    for (const orderId of ['MB-1', 'MB-2']) {
      const put = await svc.api('PUT', `/api/v1/transactions/${orderId}`, recentOrder(orderId));
      assert.ok(put.status < 300, JSON.stringify(put.body));
    }
    const collections = (await svc.api('GET', `/api/v1/subscriptions/${id}/collections`)).body.data as {
      id: string;
      name: string;
    }[];
    const placed = collections.find((c) => c.name === 'Add Klaviyo Placed Order Event FROM hub')!;

    const refused = await svc.api('POST', `/api/v1/subscriptions/${id}/manual-sync`, {
      collection_id: placed.id,
      ids: ['MB-1'],
      backfill: 'yes',
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.field, 'backfill');

    const marked = await svc.api('POST', `/api/v1/subscriptions/${id}/manual-sync`, {
      collection_id: placed.id,
      ids: ['MB-1'],
      backfill: true,
    });
    assert.equal(marked.status, 202, JSON.stringify(marked.body));
    assert.equal(marked.body.backfill, true);
    const plain = await svc.api('POST', `/api/v1/subscriptions/${id}/manual-sync`, {
      collection_id: placed.id,
      ids: ['MB-2'],
    });
    assert.equal(plain.body.backfill, false);

    const backfilled = await eventsOf(id, 'MB-1');
    assert.equal(backfilled.length, 2);
    assert.ok(backfilled.every((e) => e.backfill === true));
    const live = await eventsOf(id, 'MB-2');
    assert.equal(live.length, 2);
    assert.ok(live.every((e) => e.backfill === false));
  });

  test('klaviyo-sync sync --backfill marks the manual sync as a backfill', async () => {
    const { id, name } = await makeSubscription('CLI backfill');
    await svc.api('PUT', `/api/v1/subscriptions/${id}/flows`, {
      'transaction/created': false,
      'transaction/updated': false,
    });
    await svc.api('PUT', '/api/v1/transactions/CB-1', recentOrder('CB-1'));
    const result = await runCli([
      'sync',
      '--subscription',
      name,
      '--collection',
      'Add Klaviyo Placed Order Event FROM hub',
      '--ids',
      'CB-1',
      '--backfill',
      '--url',
      svc.baseUrl,
      '--token',
      svc.adminToken,
    ]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /as a backfill/);
    assert.match(result.stdout, /^ {2}CB-1 {2}succeeded/m);
    const events = await eventsOf(id, 'CB-1');
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.backfill === true));
  });
});
