import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDefaultCollections } from '../../src/mapping/store.ts';
import type { Outcome } from '../../src/transfer/types.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { testFlow } from './helpers.ts';
import { waitFor } from '../helpers/wait.ts';
import { addSubscription } from './service-helpers.ts';

const HOOK_KEY = 'whk_right_key_0123456789abcdef0123456789';

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false]) {
  describe(`transfer routes (${postgres ? 'postgres' : 'sqlite'})`, () => {
    let svc: TestService;
    let failing = true;
    const flow = testFlow(
      'customer-to-profile',
      (t): Outcome =>
        failing && t.record_id.startsWith('bad')
          ? { status: 'failed', code: 'KLAVIYO_INVALID_INPUT', message: 'email is invalid', retryable: false }
          : { status: 'succeeded' },
    );
    const profileFlow = testFlow('profile-to-customer');
    const engine = () => svc.ctx.transfers!.engine;
    let customerCollection = '';
    let addressCollection = '';

    before(async () => {
      svc = await startTestService({ postgres, env: { KLAVIYO_SYNC_LOG_LEVEL: 'warn' } });
      await addSubscription(svc.ctx, 'S1', { webhookKey: HOOK_KEY });
      engine().registry.register(flow, { replace: true });
      engine().registry.register({ ...profileFlow, direction: 'to_hub' }, { replace: true });
      const made = await createDefaultCollections(svc.ctx.store.db, 'S1');
      customerCollection = made.find(
        (c) => c.type === 'customer' && c.direction === 'from_hub' && !c.parent_id,
      )!.id;
      addressCollection = made.find((c) => c.type === 'customer_address')!.id;
    });
    after(() => svc.close());

    test('the log lists transfers in the API shape (docs/api.md), shows steps, retries one and replays many', async () => {
      await svc.api('POST', '/api/v1/customers/batch', [{ id: 'good1' }, { id: 'bad1' }, { id: 'bad2' }]);
      await waitFor(
        'the workers',
        async () => (await engine().log.count({ state: 'queued' })) === 0 && engine().pool.busy === 0,
      );
      const list = await svc.api('GET', '/api/v1/transfers?subscription=S1&state=failed&limit=1');
      assert.equal(list.status, 200);
      assert.equal(list.body.data.length, 1);
      assert.ok(list.body.next_cursor);
      assert.deepEqual(Object.keys(list.body.data[0]).sort(), [
        'attempts',
        'collection_id',
        'collection_name',
        'created_at',
        'direction',
        'error_code',
        'error_message',
        'flow',
        'id',
        'record_id',
        'state',
        'subscription_id',
        'subscription_name',
        'tracking_id',
        'updated_at',
      ]);
      const next = await svc.api(
        'GET',
        `/api/v1/transfers?subscription=S1&state=failed&cursor=${list.body.next_cursor}`,
      );
      assert.equal(next.body.data.length, 1);
      assert.equal(next.body.next_cursor, null);

      const byRecord = await svc.api('GET', '/api/v1/transfers?record=bad1');
      const failed = byRecord.body.data[0];
      assert.equal(failed.error_code, 'KLAVIYO_INVALID_INPUT');
      const one = await svc.api('GET', `/api/v1/transfers/${failed.id}`);
      assert.ok(one.body.steps.some((s: { kind: string }) => s.kind === 'mapped'));
      assert.equal((await svc.api('GET', '/api/v1/transfers/12345678')).status, 404);

      failing = false;
      const retried = await svc.api('POST', `/api/v1/transfers/${failed.id}/retry`);
      assert.equal(retried.body.state, 'queued');
      await waitFor('the retry', async () => (await engine().log.get(failed.id))?.state === 'succeeded');
      const again = await svc.api('POST', `/api/v1/transfers/${failed.id}/retry`);
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'TRANSFER_NOT_RETRYABLE');

      const replay = await svc.api('POST', '/api/v1/transfers/replay', { subscription_id: 'S1' });
      assert.deepEqual(replay.body, { matched: 1, queued: 1, superseded: 0, remaining: 0 });
      await waitFor('the replay', async () => (await engine().log.count({ state: 'failed' })) === 0);
      assert.equal((await svc.api('POST', '/api/v1/transfers/replay', { bogus: 1 })).status, 400);
    });

    test('manual sync queues the ids (debug ones first) and refuses 3,001', async () => {
      const tooMany = await svc.api('POST', '/api/v1/subscriptions/S1/manual-sync', {
        collection_id: customerCollection,
        ids: Array.from({ length: 3001 }, (_, i) => `m${i}`),
      });
      assert.equal(tooMany.status, 400);
      assert.equal(tooMany.body.error.code, 'MANUAL_SYNC_TOO_MANY_IDS');

      await svc.api('POST', '/api/v1/transfers/pause', { subscription_id: 'S1' });
      const plain = await svc.api('POST', '/api/v1/subscriptions/S1/manual-sync', {
        collection_id: customerCollection,
        ids: Array.from({ length: 3000 }, (_, i) => `m${i}`),
      });
      assert.equal(plain.status, 202);
      assert.equal(plain.body.queued, 3000);
      const debug = await svc.api('POST', '/api/v1/subscriptions/S1/manual-sync', {
        collection_id: customerCollection,
        ids: ['dbg1'],
        debug: true,
      });
      assert.equal(debug.status, 202);
      const before = flow.batches.length;
      const stats = await svc.api('GET', '/api/v1/transfers/stats?subscription=S1');
      assert.equal(stats.body.counts.queued, 3001);
      assert.equal(stats.body.paused.code, 'PAUSED');
      await svc.api('POST', '/api/v1/transfers/resume', { subscription_id: 'S1' });
      await waitFor('the manual sync', async () => (await engine().log.count({ state: 'queued' })) === 0);
      assert.equal(flow.batches[before][0].record_id, 'dbg1');
      const [t] = (await engine().log.list({ record_id: 'm7' })).data;
      assert.equal(t.collection_id, customerCollection);
      assert.equal(t.trigger, 'manual');

      assert.equal(
        (
          await svc.api('POST', '/api/v1/subscriptions/S1/manual-sync', {
            collection_id: addressCollection,
            ids: ['a'],
          })
        ).status,
        404,
      );
      assert.equal(
        (
          await svc.api('POST', '/api/v1/subscriptions/S9/manual-sync', {
            collection_id: customerCollection,
            ids: ['a'],
          })
        ).status,
        404,
      );
    });

    test('deleting a subscription removes its queued transfers and their log', async () => {
      await addSubscription(svc.ctx, 'S_DEL');
      const made = await createDefaultCollections(svc.ctx.store.db, 'S_DEL');
      const collection = made.find(
        (c) => c.type === 'customer' && c.direction === 'from_hub' && !c.parent_id,
      )!;
      const sync = await svc.api('POST', '/api/v1/subscriptions/S_DEL/manual-sync', {
        collection_id: collection.id,
        ids: ['d1', 'd2', 'd3'],
      });
      assert.equal(sync.status, 202);
      assert.equal(await engine().log.count({ subscription_id: 'S_DEL' }), 3);
      assert.equal((await svc.api('DELETE', '/api/v1/subscriptions/S_DEL')).status, 204);
      assert.equal(await engine().log.count({ subscription_id: 'S_DEL' }), 0);
      assert.equal((await engine().log.count({ subscription_id: 'S1' })) > 0, true);
    });

    test('inbound notifications: a wrong key gets 401 and queues nothing; a right one queues the profiles', async () => {
      const hook = (key: string | null, body: unknown) =>
        fetch(`${svc.baseUrl}/hooks/S1`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body: JSON.stringify(body),
        });
      const body = { notifications: [{ scope: 'profile/updated', external_id: '01HPROFILE1' }] };
      const before = await engine().log.count({ flow: 'profile-to-customer' });
      for (const key of ['wrong', `${HOOK_KEY}x`, null]) {
        const r = await hook(key, body);
        assert.equal(r.status, 401);
        assert.equal((await r.json()).error.code, 'HOOK_KEY_INVALID');
      }
      assert.equal(
        (
          await fetch(`${svc.baseUrl}/hooks/unknown`, {
            method: 'POST',
            headers: { authorization: `Bearer ${HOOK_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).status,
        401,
      );
      assert.equal(await engine().log.count({ flow: 'profile-to-customer' }), before);

      const malformed = await hook(HOOK_KEY, { notifications: [{ scope: 'profile/updated' }] });
      assert.equal(malformed.status, 400);
      const tooMany = await hook(HOOK_KEY, {
        notifications: Array.from({ length: 1001 }, (_, i) => ({
          scope: 'profile/updated',
          external_id: `p${i}`,
        })),
      });
      assert.equal(tooMany.status, 400);
      assert.equal(await engine().log.count({ flow: 'profile-to-customer' }), before);

      const ok = await hook(HOOK_KEY, {
        notifications: [
          { scope: 'profile/updated', external_id: '01HPROFILE1' },
          { scope: 'profile/created', external_id: '01HPROFILE2' },
        ],
      });
      assert.equal(ok.status, 202);
      assert.deepEqual(await ok.json(), { queued: 2 });
      await waitFor(
        'the hook transfers',
        async () => (await engine().log.count({ flow: 'profile-to-customer', state: 'succeeded' })) === 2,
      );
      const [t] = (await engine().log.list({ record_id: '01HPROFILE2' })).data;
      assert.equal(t.direction, 'to_hub');
      assert.equal(t.trigger, 'hook');
    });

    test('manual sync answers the transfer of each id: a new one, or the waiting one it joined', async () => {
      await svc.api('POST', '/api/v1/transfers/pause', { subscription_id: 'S1' });
      try {
        await svc.api('PUT', '/api/v1/customers/ids-waiting', { first_name: 'Waits' });
        const [waiting] = (await engine().log.list({ record_id: 'ids-waiting', state: 'queued' })).data;
        assert.ok(waiting, 'the hub write queued a transfer');
        const plain = await svc.api('POST', '/api/v1/subscriptions/S1/manual-sync', {
          collection_id: customerCollection,
          ids: ['ids-waiting', 'ids-new', 'ids-waiting'],
        });
        assert.equal(plain.status, 202);
        assert.equal(plain.body.queued, 2);
        assert.equal(plain.body.debug, false);
        assert.equal(plain.body.transfer_ids.length, 2);
        assert.equal(plain.body.transfer_ids[0], waiting.id, 'merged into the waiting transfer');
        assert.equal(plain.body.tracking_ids[0], waiting.tracking_id);
        const fresh = await svc.api('GET', `/api/v1/transfers/${plain.body.transfer_ids[1]}`);
        assert.equal(fresh.body.record_id, 'ids-new');
        assert.equal(fresh.body.tracking_id, plain.body.tracking_ids[1]);

        // A debug run is never merged: a transfer of its own.
        const debug = await svc.api('POST', '/api/v1/subscriptions/S1/manual-sync', {
          collection_id: customerCollection,
          ids: ['ids-waiting'],
          debug: true,
        });
        const [debugId] = debug.body.transfer_ids;
        assert.notEqual(debugId, waiting.id);

        // The ids filter reads exactly these transfers back.
        const all = [...plain.body.transfer_ids, debugId];
        const listed = await svc.api('GET', `/api/v1/transfers?ids=${all.join(',')}`);
        assert.deepEqual(listed.body.data.map((t: { id: string }) => t.id).sort(), [...all].sort());
        const badIds = await svc.api('GET', '/api/v1/transfers?ids=1,x');
        assert.equal(badIds.status, 400);
        assert.equal(badIds.body.error.field, 'ids');
      } finally {
        await svc.api('POST', '/api/v1/transfers/resume', { subscription_id: 'S1' });
      }
      await waitFor('the manual sync', async () => (await engine().log.count({ state: 'queued' })) === 0);
    });

    test('the transfer list filters by creation time on the server, and refuses a bad time with its field', async () => {
      await svc.api('POST', '/api/v1/customers/batch', [{ id: 'time-a1' }, { id: 'time-a2' }]);
      const earlier = (await svc.api('GET', '/api/v1/transfers?subscription=S1&limit=2')).body.data as {
        record_id: string;
        created_at: string;
      }[];
      assert.deepEqual(earlier.map((t) => t.record_id).sort(), ['time-a1', 'time-a2']);
      const lastEarly = Math.max(...earlier.map((t) => Date.parse(t.created_at)));
      while (Date.now() <= lastEarly) await new Promise((resolve) => setImmediate(resolve));
      const mid = Date.now();
      await svc.api('POST', '/api/v1/customers/batch', [{ id: 'time-b1' }]);

      const records = async (params: string) => {
        const answer = await svc.api('GET', `/api/v1/transfers?subscription=S1&${params}`);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return new Set((answer.body.data as { record_id: string }[]).map((t) => t.record_id));
      };
      const midIso = new Date(mid).toISOString();
      const after = await records(`created_after=${midIso}`);
      assert.ok(after.has('time-b1'));
      assert.ok(!after.has('time-a1') && !after.has('time-a2'));
      const before = await records(`created_before=${midIso}`);
      assert.ok(before.has('time-a1') && before.has('time-a2'));
      assert.ok(!before.has('time-b1'));
      // The same instant written with another offset selects the same transfers.
      const plusTwo = `${new Date(mid + 2 * 3600_000).toISOString().slice(0, -1)}+02:00`;
      assert.deepEqual(await records(`created_after=${encodeURIComponent(plusTwo)}`), after);
      const window = await records(
        `created_after=${new Date(lastEarly).toISOString()}&created_before=${midIso}`,
      );
      assert.ok(window.has('time-a1') || window.has('time-a2'));
      assert.ok(!window.has('time-b1'));

      for (const [params, field] of [
        ['created_after=yesterday', 'created_after'],
        ['created_before=2026-13-01T00:00:00Z', 'created_before'],
        [`created_after=${midIso}&created_before=${new Date(mid - 60_000).toISOString()}`, 'created_before'],
      ]) {
        const bad = await svc.api('GET', `/api/v1/transfers?${params}`);
        assert.equal(bad.status, 400, params);
        assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
        assert.equal(bad.body.error.field, field, params);
      }
    });
  });
}
