// A safe first sync: the dry run says what a sync would do — create, update, skip or fail, and why — for
// ids, a sample or all records, and a counting proxy between the service and the sandbox proves it made
// no write call to Klaviyo (and, with look-ups off, no call at all). The CLI's `sync --dry-run` prints it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { runCli } from '../cli/run-cli.ts';
import { type CountingProxy, startCountingProxy } from '../helpers/counting-proxy.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const WRITE = /^(POST|PATCH|PUT|DELETE) /;

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false])
  describe(`dry run (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    let sandbox: Sandbox;
    let proxy: CountingProxy;
    let svc: TestService;
    let subscriptionId: string;
    let collectionId: string;

    const writesSoFar = () =>
      [...proxy.counts.entries()]
        .filter(([k]) => WRITE.test(k) && !/ \d{3}$/.test(k))
        .reduce((n, [, v]) => n + v, 0);
    const callsSoFar = () =>
      [...proxy.counts.entries()].filter(([k]) => !/ \d{3}$/.test(k)).reduce((n, [, v]) => n + v, 0);

    before(async () => {
      sandbox = await startSandbox({ port: 0 });
      proxy = await startCountingProxy(sandbox.url);
      svc = await startTestService({ postgres, env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
      const made = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Dry store',
        api_url: proxy.url,
        api_key: sandbox.apiKey,
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      subscriptionId = made.body.id;
      const collections = await svc.api('GET', `/api/v1/subscriptions/${subscriptionId}/collections`);
      collectionId = collections.body.data.find(
        (c: { name: string }) => c.name === 'Add Klaviyo Profile FROM hub',
      ).id;
      // A: synced for real, so it is linked.
      await svc.api('PUT', '/api/v1/customers/DR-A', { id: 'DR-A', email_address: 'a@example.com' });
      await waitFor('DR-A to reach Klaviyo', async () => {
        const page = await svc.api('GET', `/api/v1/transfers?subscription=${subscriptionId}&record=DR-A`);
        return page.body.data.some((t: { state: string }) => t.state === 'succeeded');
      });
      // From here nothing is sent: the queue holds what the hub writes below.
      await svc.api('POST', '/api/v1/transfers/pause', { subscription_id: subscriptionId });
      // B: Klaviyo already has a profile with B's email (made by someone else); not linked.
      const res = await fetch(`${sandbox.url}/api/profiles`, {
        method: 'POST',
        headers: {
          authorization: `Klaviyo-API-Key ${sandbox.apiKey}`,
          revision: '2026-07-15',
          'content-type': 'application/vnd.api+json',
          accept: 'application/vnd.api+json',
        },
        body: JSON.stringify({ data: { type: 'profile', attributes: { email: 'b@example.com' } } }),
      });
      assert.equal(res.status, 201, await res.text());
      await svc.api('PUT', '/api/v1/customers/DR-B', { id: 'DR-B', email_address: 'b@example.com' });
      // C: new everywhere. D: its only identifier is a phone that cannot be made valid.
      await svc.api('PUT', '/api/v1/customers/DR-C', { id: 'DR-C', email_address: 'c@example.com' });
      const d = await svc.api('PUT', '/api/v1/customers/DR-D', {
        id: 'DR-D',
        addresses: [{ is_primary_billing: true, phone_number: '12', country: 'US' }],
      });
      assert.ok(d.status < 300, JSON.stringify(d.body));
    });

    after(async () => {
      await svc?.close();
      await proxy?.close();
      await sandbox?.close();
    });

    test('by ids: counts and reasons, with reads only', async () => {
      const profilesBefore = sandbox.state.account().profiles.size;
      const writesBefore = writesSoFar();
      const answer = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/dry-run`, {
        collection_id: collectionId,
        ids: ['DR-A', 'DR-B', 'DR-C', 'DR-D', 'DR-missing'],
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const a = answer.body;
      assert.deepEqual(a.counts, { create: 1, update: 2, skip: 1, fail: 1 });
      assert.equal(a.records, 5);
      assert.equal(a.scope, 'ids');
      assert.equal(a.collection.name, 'Add Klaviyo Profile FROM hub');
      const reason = (outcome: string) => a.reasons.filter((r: { outcome: string }) => r.outcome === outcome);
      assert.deepEqual(reason('fail')[0].examples, ['DR-D']);
      assert.ok(reason('fail')[0].code, JSON.stringify(reason('fail')));
      assert.deepEqual(reason('skip')[0].examples, ['DR-missing']);
      assert.match(reason('skip')[0].reason, /Not in the hub/);
      const updates = reason('update');
      assert.deepEqual(updates.flatMap((r: { examples: string[] }) => r.examples).sort(), ['DR-A', 'DR-B']);
      assert.ok(
        updates.some((r: { reason: string }) => /already has a profile with this email/.test(r.reason)),
      );
      assert.deepEqual(reason('create')[0].examples, ['DR-C']);
      // Klaviyo was read (the look-up of B and C) and never written to.
      assert.ok(a.klaviyo.reads >= 1);
      assert.equal(a.klaviyo.writes, 0);
      assert.equal(writesSoFar(), writesBefore, JSON.stringify([...proxy.counts]));
      assert.equal(sandbox.state.account().profiles.size, profilesBefore);
      // Nothing was written in the service either: no link for B, no transfer made.
      const linked = await svc.ctx.store.db.selectFrom('links').select('hub_id').execute();
      assert.deepEqual(
        linked.map((l) => l.hub_id),
        ['DR-A'],
      );
    });

    test('with look-ups off it asks Klaviyo nothing at all', async () => {
      const before = callsSoFar();
      const answer = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/dry-run`, {
        collection_id: collectionId,
        ids: ['DR-A', 'DR-B', 'DR-C'],
        lookups: false,
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.counts, { create: 2, update: 1, skip: 0, fail: 0 });
      assert.equal(answer.body.klaviyo.reads, 0);
      assert.equal(callsSoFar(), before);
    });

    test('a sample or all records of the kind', async () => {
      const sample = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/dry-run`, {
        collection_id: collectionId,
        sample: 2,
      });
      assert.equal(sample.body.records, 2);
      assert.equal(sample.body.scope, 'sample');
      const all = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/dry-run`, {
        collection_id: collectionId,
        all: true,
      });
      assert.equal(all.body.records, 4);
      assert.equal(all.body.truncated, false);
      assert.deepEqual(all.body.counts, { create: 1, update: 2, skip: 0, fail: 1 });
      const both = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/dry-run`, {
        collection_id: collectionId,
        all: true,
        sample: 3,
      });
      assert.equal(both.status, 400);
      assert.equal(both.body.error.code, 'VALIDATION_FAILED');
      const unknown = await svc.api('POST', `/api/v1/subscriptions/${subscriptionId}/dry-run`, {
        collection_id: 'nope',
      });
      assert.equal(unknown.status, 404);
    });

    test('klaviyo-sync sync --dry-run prints what would happen and sends nothing', async () => {
      const writesBefore = writesSoFar();
      const run = await runCli([
        'sync',
        '--dry-run',
        '--subscription',
        'Dry store',
        '--collection',
        'Add Klaviyo Profile FROM hub',
        '--ids',
        'DR-A,DR-B,DR-C,DR-D',
        '--url',
        svc.baseUrl,
        '--token',
        svc.adminToken,
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        /^Dry run of 'Add Klaviyo Profile FROM hub' on 4 records: nothing was sent\./m,
      );
      assert.match(run.stdout, /^ {2}create 1, update 2, skip 0, fail 1$/m);
      assert.match(
        run.stdout,
        /^ {2}fail +1 {2}MAPPING_\w+: Collection 'Add Klaviyo Profile FROM hub' .*\(DR-D\)$/m,
      );
      assert.match(run.stdout, /^Klaviyo: \d+ profile look-ups? \(reads\), no writes\.$/m);
      assert.equal(writesSoFar(), writesBefore);
      const transfers = await svc.api('GET', `/api/v1/transfers?subscription=${subscriptionId}&record=DR-C`);
      // Only the transfer the hub write queued (paused), none from the dry run.
      assert.equal(transfers.body.data.length, 1);
    });
  });
