// A retired API revision, the whole way through the service and the sandbox: the connection test says so
// plainly, transfers queued on it pause the subscription with KLAVIYO_REVISION_RETIRED (none failed, none
// lost), and changing the subscription's revision delivers every one. Also the warning before retirement.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_REVISION, revisionLifecycle, revisionWarning } from '../../src/klaviyo/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const RETIRED = '2023-10-15';

describe('a retired revision (service + sandbox)', () => {
  let sandbox: Sandbox;
  let svc: TestService;
  before(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    svc = await startTestService({ env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
  });
  after(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  test('pauses with its code, loses nothing, and delivers everything once the revision is changed', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Old revision',
      api_url: sandbox.url,
      api_key: sandbox.apiKey,
      api_revision: RETIRED,
      default_phone_country: 'US',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.id as string;
    // The connection test says what is wrong and what to do, not "try later".
    assert.equal(made.body.status, 'error');
    assert.match(made.body.status_message, new RegExp(`retired API revision ${RETIRED}`));
    assert.match(made.body.status_message, new RegExp(`API Revision to ${DEFAULT_REVISION}`));
    assert.doesNotMatch(made.body.status_message, /later/);
    assert.match(made.body.api_revision_warning, /past its expected retirement/);

    const customers = ['r1', 'r2', 'r3'];
    for (const c of customers) {
      const put = await svc.api('PUT', `/api/v1/customers/${c}`, {
        email_address: `${c}@example.com`,
        first_name: c.toUpperCase(),
      });
      assert.ok(put.status < 300, JSON.stringify(put.body));
    }
    const put = await svc.api('PUT', '/api/v1/transactions/T-R1', {
      email_address: 'r1@example.com',
      total: 12.5,
      lines: [],
    });
    assert.ok(put.status < 300, JSON.stringify(put.body));

    const paused = await waitFor('the pause', async () => {
      const stats = await svc.api('GET', `/api/v1/transfers/stats?subscription=${id}`);
      return stats.body.paused ?? undefined;
    });
    assert.equal(paused.code, 'KLAVIYO_REVISION_RETIRED');
    assert.match(paused.message, new RegExp(RETIRED));
    assert.match(paused.message, new RegExp(DEFAULT_REVISION));
    const waiting = (await svc.api('GET', `/api/v1/transfers?subscription=${id}&limit=100`)).body.data as {
      state: string;
      error_code: string | null;
    }[];
    assert.equal(waiting.length, 4);
    assert.ok(
      waiting.every((t) => t.state === 'queued' && t.error_code === null),
      `every transfer waits, none failed: ${JSON.stringify(waiting)}`,
    );
    assert.equal(sandbox.state.account().profiles.size, 0);

    const changed = await svc.api('PATCH', `/api/v1/subscriptions/${id}`, { api_revision: DEFAULT_REVISION });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.status, 'connected');
    assert.equal(changed.body.api_revision_warning, null);

    const done = await waitFor(
      'every transfer delivered',
      async () => {
        const list = (await svc.api('GET', `/api/v1/transfers?subscription=${id}&limit=100`)).body.data as {
          state: string;
        }[];
        return list.length === 4 && list.every((t) => t.state === 'succeeded') ? list : undefined;
      },
      60_000,
    );
    assert.equal(done.length, 4);
    await sandbox.state.idle();
    for (const c of customers)
      assert.ok(sandbox.state.account().profiles.find('email', `${c}@example.com`), `${c} reached Klaviyo`);
    assert.equal((await svc.api('GET', `/api/v1/transfers/stats?subscription=${id}`)).body.paused, null);
  });

  test('a revision close to retirement is warned about in the view and the connection test', async () => {
    const life = revisionLifecycle('2025-01-15', Date.now());
    assert.ok(life);
    const made = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Retiring soon',
      api_url: sandbox.url,
      api_key: sandbox.apiKey,
      api_revision: '2025-01-15',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const expected = revisionWarning('2025-01-15', Date.now());
    if (life.state === 'supported') {
      assert.equal(made.body.api_revision_warning, null);
      return;
    }
    assert.equal(made.body.status, 'connected', 'it still works');
    assert.match(made.body.api_revision_warning, new RegExp(life.retiresOn));
    assert.equal(made.body.api_revision_warning, expected);
    assert.match(made.body.status_message, new RegExp(life.retiresOn), 'the connection test warns too');
  });
});

describe('revision lifecycle (from the revision date)', () => {
  const at = (day: string) => Date.parse(`${day}T12:00:00Z`);
  test('supported, then warned about 180 days ahead, then retired two years after release', () => {
    assert.equal(revisionLifecycle('2026-07-15', at('2027-06-01'))?.state, 'supported');
    const soon = revisionLifecycle('2026-07-15', at('2028-03-01'));
    assert.equal(soon?.state, 'retiring_soon');
    assert.equal(soon?.retiresOn, '2028-07-15');
    assert.equal(revisionLifecycle('2026-07-15', at('2028-07-16'))?.state, 'retired');
    assert.equal(revisionLifecycle('2026-07-15.pre', at('2027-01-01'))?.retiresOn, '2028-07-15');
    assert.equal(revisionLifecycle('2026-02-30', at('2027-01-01')), undefined);
    assert.equal(revisionWarning(DEFAULT_REVISION, at('2027-01-01')), null);
    assert.match(
      revisionWarning('2025-04-15', at('2027-01-01')) ?? '',
      new RegExp(`set API Revision to ${DEFAULT_REVISION}`),
    );
  });
});
