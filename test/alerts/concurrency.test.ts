// Several checkers at once (several processes sharing a store) still announce an episode once, and a
// status change (a retired revision found by the connection test, say) raises its alert at once through
// the subscription status hooks, without waiting for the next periodic check.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { alertsOf } from '../../src/alerts/index.ts';
import { AlertService } from '../../src/alerts/service.ts';
import { markSubscriptionStatus } from '../../src/subscriptions/status.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { addSubscriptionRows } from '../helpers/subscriptions.ts';
import { type HttpReceiver, startHttpReceiver } from './receivers.ts';

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false])
  describe(`alert checkers side by side (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    let svc: TestService;
    let http: HttpReceiver;

    before(async () => {
      http = await startHttpReceiver();
      svc = await startTestService({
        postgres,
        env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1', KLAVIYO_SYNC_ALERT_CHECK_SECONDS: '3600' },
      });
      await addSubscriptionRows(
        svc.ctx.store.db,
        { id: 'sub-a', name: 'Shop A', status: 'connected' },
        { id: 'sub-b', name: 'Shop B', status: 'connected' },
      );
      const slack = await svc.api('PUT', '/api/v1/alerts/settings/slack', {
        enabled: true,
        url: `${http.url}/s`,
      });
      assert.equal(slack.status, 200);
    });
    after(async () => {
      await svc?.close();
      await http?.close();
    });

    /** Four checkers over the same store, as four processes would be. */
    function checkers() {
      const others = [1, 2, 3].map(
        () =>
          new AlertService({
            db: svc.ctx.store.db,
            secrets: svc.ctx.secrets,
            log: svc.ctx.log,
            now: () => Date.now(),
            publicUrl: () => svc.baseUrl,
            allowLoopback: true,
          }),
      );
      return [alertsOf(svc.ctx), ...others];
    }

    async function allCheckAndSend(list: AlertService[]) {
      await Promise.all(list.map((a) => a.check()));
      for (const a of list) a.kick();
      await Promise.all(list.map((a) => a.idle()));
    }

    test('four checkers at once: one alert, one message; one recovery', async () => {
      const list = checkers();
      await svc.ctx.store.db
        .insertInto('transfer_pauses')
        .values({
          subscription_id: 'sub-a',
          code: 'AUTH_REVOKED',
          message: 'Klaviyo access was removed.',
          paused_at: new Date().toISOString(),
        })
        .execute();
      await allCheckAndSend(list);
      await allCheckAndSend(list);
      assert.equal(http.calls.length, 1, http.calls.map((c) => c.json.text).join('\n'));
      assert.match(http.calls[0]!.json.text, /Shop A: paused \(AUTH_REVOKED\)/);
      const open = await svc.ctx.store.db
        .selectFrom('alerts')
        .selectAll()
        .where('state', '=', 'open')
        .execute();
      assert.equal(open.length, 1);

      await svc.ctx.store.db.deleteFrom('transfer_pauses').where('subscription_id', '=', 'sub-a').execute();
      await allCheckAndSend(list);
      await allCheckAndSend(list);
      assert.equal(http.calls.length, 2);
      assert.match(http.calls[1]!.json.text, /Recovered: Shop A/);
      const notes = await svc.ctx.store.db.selectFrom('alert_notifications').selectAll().execute();
      assert.deepEqual(notes.map((n) => `${n.event}:${n.state}`).sort(), ['opened:sent', 'resolved:sent']);
    });

    test('a status change raises the alert at once through the status hook', async () => {
      http.calls.length = 0;
      await markSubscriptionStatus(
        svc.ctx,
        'sub-b',
        'error',
        'Klaviyo answered 410: API revision 2023-10-15 is retired; set a newer API Revision.',
      );
      // No check was asked for: the hook did it.
      const open = await svc.api('GET', '/api/v1/alerts?subscription=sub-b&state=open');
      assert.equal(open.body.data.length, 1);
      assert.equal(open.body.data[0].kind, 'paused');
      assert.equal(open.body.data[0].code, 'error');
      assert.match(open.body.data[0].message, /revision 2023-10-15 is retired/);
      await alertsOf(svc.ctx).idle();
      assert.equal(http.calls.length, 1);

      await markSubscriptionStatus(svc.ctx, 'sub-b', 'connected', 'Connected to Klaviyo account Shop B');
      const after = await svc.api('GET', '/api/v1/alerts?subscription=sub-b');
      assert.equal(after.body.data[0].state, 'resolved');
      await alertsOf(svc.ctx).idle();
      assert.equal(http.calls.length, 2);
      assert.match(http.calls[1]!.json.text, /Recovered: Shop B: paused \(error\)/);
    });
  });
