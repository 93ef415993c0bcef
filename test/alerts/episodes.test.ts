// Alert episodes from the store's figures: a burst of dead transfers is one alert (its count follows the
// burst) and recovers once the window is quiet; a failure rate over the user's limit opens one and
// recovers when back under; a channel that fails is retried; rules are validated.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { alertsOf } from '../../src/alerts/index.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { addSubscriptionRows } from '../helpers/subscriptions.ts';
import { transferRow } from '../helpers/transfers.ts';
import { type HttpReceiver, startHttpReceiver } from './receivers.ts';

let svc: TestService;
let http: HttpReceiver;
let offsetMs = 0;
let failNext = 0;

async function addTransfers(subscriptionId: string, state: string, n: number, code: string | null = null) {
  const at = new Date(Date.now() + offsetMs).toISOString();
  const rows = Array.from({ length: n }, (_, i) =>
    transferRow({
      subscription_id: subscriptionId,
      record_id: `r-${state}-${i}-${Math.random().toString(36).slice(2)}`,
      state,
      tracking_id: `t-${Math.random().toString(36).slice(2)}`,
      error_code: code,
      error_message: code ? `failed: ${code}` : null,
      created_at: at,
      updated_at: at,
    }),
  );
  for (let i = 0; i < rows.length; i += 200)
    await svc.ctx.store.db
      .insertInto('transfers')
      .values(rows.slice(i, i + 200))
      .execute();
}

async function checkAndSend() {
  const alerts = alertsOf(svc.ctx);
  await alerts.check();
  alerts.kick();
  await alerts.idle();
}

describe('alert episodes', () => {
  before(async () => {
    http = await startHttpReceiver();
    const original = http.server.listeners('request')[0] as (...a: unknown[]) => void;
    http.server.removeAllListeners('request');
    http.server.on('request', (req, res) => {
      if (failNext > 0) {
        failNext--;
        req.resume();
        res.writeHead(503).end('busy');
        return;
      }
      original(req, res);
    });
    svc = await startTestService({
      env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1', KLAVIYO_SYNC_ALERT_CHECK_SECONDS: '3600' },
      now: () => Date.now() + offsetMs,
    });
    await addSubscriptionRows(
      svc.ctx.store.db,
      { id: 'sub-dead', name: 'Dead Shop', status: 'connected' },
      { id: 'sub-rate', name: 'Rate Shop', status: 'connected' },
    );
    const slack = await svc.api('PUT', '/api/v1/alerts/settings/slack', {
      enabled: true,
      url: `${http.url}/slack`,
    });
    assert.equal(slack.status, 200, JSON.stringify(slack.body));
  });
  after(async () => {
    await svc?.close();
    await http?.close();
  });

  const texts = () => http.calls.map((c) => c.json.text as string);

  test('500 transfers going dead are one alert; 100 more update it; a quiet window recovers it', async () => {
    await addTransfers('sub-dead', 'dead', 500, 'KLAVIYO_UNAVAILABLE');
    await checkAndSend();
    assert.equal(http.calls.length, 1, texts().join('\n'));
    assert.match(texts()[0]!, /Dead Shop: 500 transfers dead/);
    assert.match(texts()[0]!, /KLAVIYO_UNAVAILABLE ×500/);

    await addTransfers('sub-dead', 'dead', 100, 'KLAVIYO_TIMEOUT');
    await checkAndSend();
    assert.equal(http.calls.length, 1, 'the same episode sends nothing more');
    const open = await svc.api('GET', '/api/v1/alerts?subscription=sub-dead&state=open');
    assert.equal(open.body.data.length, 1);
    assert.equal(open.body.data[0].details.dead, 600);
    assert.deepEqual(open.body.data[0].details.by_code, { KLAVIYO_UNAVAILABLE: 500, KLAVIYO_TIMEOUT: 100 });

    // The metrics need a credential (docs/operations.md): the admin's API token is one.
    const metrics = await fetch(`${svc.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${svc.adminToken}` },
    }).then((r) => r.text());
    assert.match(metrics, /^klaviyo_sync_alerts_open 1$/m);
    assert.match(metrics, /^klaviyo_sync_alert_messages_total\{channel="slack",outcome="sent"\} 1$/m);

    offsetMs += 61 * 60_000; // an hour with no new dead transfer
    await checkAndSend();
    assert.equal(http.calls.length, 2);
    assert.match(texts()[1]!, /Recovered: Dead Shop/);
    assert.match(texts()[1]!, /No transfer of Dead Shop went dead in the last 60 minutes/);
    const resolved = await svc.api('GET', '/api/v1/alerts?subscription=sub-dead');
    assert.equal(resolved.body.data[0].state, 'resolved');
  });

  test('a failure rate over the limit opens one alert and recovers when back under', async () => {
    http.calls.length = 0;
    const bad = await svc.api('PUT', '/api/v1/subscriptions/sub-rate/alert-rules', {
      max_failure_percent: 150,
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    assert.equal(bad.body.error.field, 'max_failure_percent');
    const missing = await svc.api('PUT', '/api/v1/subscriptions/nope/alert-rules', { max_failures: 3 });
    assert.equal(missing.status, 404);

    const rules = await svc.api('PUT', '/api/v1/subscriptions/sub-rate/alert-rules', {
      failure_window_minutes: 30,
      max_failure_percent: 20,
      min_transfers: 10,
    });
    assert.equal(rules.status, 200, JSON.stringify(rules.body));
    assert.equal(rules.body.max_failure_percent, 20);
    assert.equal(rules.body.max_failures, null);

    await addTransfers('sub-rate', 'succeeded', 70);
    await addTransfers('sub-rate', 'failed', 30, 'KLAVIYO_INVALID_INPUT');
    await checkAndSend();
    assert.equal(http.calls.length, 1, texts().join('\n'));
    assert.match(texts()[0]!, /Rate Shop: 30 failures \(30%\) in 30 min/);

    await addTransfers('sub-rate', 'succeeded', 200);
    await checkAndSend();
    assert.equal(http.calls.length, 2);
    assert.match(texts()[1]!, /Recovered: .*Rate Shop/);
    assert.match(texts()[1]!, /back under the limit: 30 of 300 \(10%\)/);
  });

  test('a count limit: more than N failures in the window', async () => {
    http.calls.length = 0;
    await svc.api('PUT', '/api/v1/subscriptions/sub-rate/alert-rules', {
      max_failure_percent: null,
      max_failures: 40,
    });
    await addTransfers('sub-rate', 'failed', 10, 'KLAVIYO_INVALID_INPUT');
    await checkAndSend();
    assert.equal(http.calls.length, 0, '40 failures is not more than 40');
    await addTransfers('sub-rate', 'failed', 1, 'KLAVIYO_INVALID_INPUT');
    await checkAndSend();
    assert.equal(http.calls.length, 1);
    assert.match(texts()[0]!, /more than 40 failures/);
    // Turning the limit off resolves the alert, and says so.
    await svc.api('PUT', '/api/v1/subscriptions/sub-rate/alert-rules', { max_failures: null });
    await checkAndSend();
    assert.equal(http.calls.length, 2);
    assert.match(texts()[1]!, /turned off/);
  });

  test('a channel that fails is retried later; the alert lists the attempt and the error', async () => {
    http.calls.length = 0;
    failNext = 1;
    await addTransfers('sub-dead', 'dead', 3, 'KLAVIYO_UNAVAILABLE');
    await checkAndSend();
    assert.equal(http.calls.length, 0);
    let open = await svc.api('GET', '/api/v1/alerts?subscription=sub-dead&state=open');
    const note = open.body.data[0].notifications[0];
    assert.equal(note.state, 'pending');
    assert.equal(note.attempts, 1);
    assert.match(note.error, /answered HTTP 503: busy/);

    offsetMs += 31_000;
    await checkAndSend();
    assert.equal(http.calls.length, 1);
    open = await svc.api('GET', '/api/v1/alerts?subscription=sub-dead&state=open');
    assert.equal(open.body.data[0].notifications[0].state, 'sent');
    assert.equal(open.body.data[0].notifications[0].attempts, 2);
  });
});
