// A subscription's key revoked in the sandbox mid-run: exactly one email reaches a real local SMTP server,
// one Slack-style call and one signed webhook reach a local HTTP receiver; after the key is fixed, one
// recovery of each. Then further bad news in the same episode sends nothing more.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '../../src/webhooks/index.ts';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';
import { type HttpReceiver, type SmtpReceiver, startHttpReceiver, startSmtpReceiver } from './receivers.ts';

const SMTP_USER = 'alerts@shop.test';
const SMTP_PASSWORD = 'smtp-pass-Zq81x';

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false])
  describe(`alerts reach email, Slack and webhooks once per episode (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    let sandbox: Sandbox;
    let svc: TestService;
    let smtp: SmtpReceiver;
    let http: HttpReceiver;

    before(async () => {
      sandbox = await startSandbox();
      smtp = await startSmtpReceiver(SMTP_USER, SMTP_PASSWORD);
      http = await startHttpReceiver();
      svc = await startTestService({
        postgres,
        env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1', KLAVIYO_SYNC_ALERT_CHECK_SECONDS: '1' },
      });
    });
    after(async () => {
      await svc?.close();
      await sandbox?.close();
      await smtp?.close();
      await http?.close();
    });

    const sandboxControl = (path: string, body: unknown) =>
      fetch(`${sandbox.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const slackCalls = () => http.calls.filter((c) => c.path === '/slack/T000/B000');
    const hookCalls = () => http.calls.filter((c) => c.path === '/signed');

    /** Two full checks that started after this call: whatever they would send is queued by then. */
    async function twoChecksLater() {
      const from = svc.ctx.now();
      await waitFor('two alert checks', async () => {
        const a = await svc.api('GET', '/api/v1/alerts');
        return a.body.checked_at && Date.parse(a.body.checked_at) > from + 1000;
      });
      const { alertsOf } = await import('../../src/alerts/index.ts');
      await alertsOf(svc.ctx).idle();
    }

    test('settings store the SMTP password encrypted and answer it masked', async () => {
      const email = await svc.api('PUT', '/api/v1/alerts/settings/email', {
        enabled: true,
        host: '127.0.0.1',
        port: smtp.port,
        security: 'none',
        username: SMTP_USER,
        password: SMTP_PASSWORD,
        from: 'klaviyo-sync@shop.test',
        to: ['ops@shop.test'],
      });
      assert.equal(email.status, 200, JSON.stringify(email.body));
      assert.equal(email.body.email.password_masked, '••••q81x');
      assert.ok(!JSON.stringify(email.body).includes(SMTP_PASSWORD));
      const row = await svc.ctx.store.db.selectFrom('alert_channels').selectAll().execute();
      assert.ok(!JSON.stringify(row).includes(SMTP_PASSWORD), 'the password is not stored in clear');

      const slack = await svc.api('PUT', '/api/v1/alerts/settings/slack', {
        enabled: true,
        url: `${http.url}/slack/T000/B000`,
      });
      assert.equal(slack.status, 200, JSON.stringify(slack.body));
      assert.ok(!JSON.stringify(slack.body).includes('/slack/T000/B000'), 'the Slack URL path is masked');
    });

    test('a Slack URL at a private address is refused with WEBHOOK_URL_NOT_ALLOWED', async () => {
      const refused = await svc.api('PUT', '/api/v1/alerts/settings/slack', {
        enabled: true,
        url: 'http://10.0.0.8/hook',
      });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'WEBHOOK_URL_NOT_ALLOWED');
      assert.equal(refused.body.error.field, 'slack.url');
    });

    test('revoked key mid-run → one alert on each channel; fixed → one recovery on each', async () => {
      const hook = await svc.api('POST', '/api/v1/webhooks', {
        url: `${http.url}/signed`,
        events: ['alert/opened', 'alert/resolved'],
      });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      const made = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Alert Shop',
        api_url: sandbox.url,
        api_key: sandbox.apiKey,
        default_phone_country: 'US',
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const sub = made.body.id as string;

      const rules = await svc.api('PUT', `/api/v1/subscriptions/${sub}/alert-rules`, {
        email_to: ['owner@alert-shop.test'],
      });
      assert.equal(rules.status, 200, JSON.stringify(rules.body));
      const batch = (from: number, n: number) =>
        svc.api('POST', '/api/v1/customers/batch', {
          records: Array.from({ length: n }, (_, i) => ({
            id: `c${from + i}`,
            email_address: `c${from + i}@shop.test`,
          })),
        });
      const states = async () => {
        const rows = await svc.ctx.store.db
          .selectFrom('transfers')
          .select(['state'])
          .where('subscription_id', '=', sub)
          .execute();
        return rows.map((r) => r.state);
      };
      assert.equal((await batch(0, 20)).status, 200);
      await waitFor('the first customers sent', async () => {
        const s = await states();
        return s.length === 20 && s.every((x) => x === 'succeeded');
      });
      await twoChecksLater();
      assert.equal(smtp.mails.length, 0, 'nothing to report while all is well');

      // The key is deleted in Klaviyo (the sandbox's control) while records keep coming.
      const revoked = await sandboxControl('/__sandbox/keys/revoke', { key: sandbox.apiKey });
      assert.equal(revoked.status, 200);
      assert.equal((await batch(100, 300)).status, 200);
      await waitFor('one alert email', async () => smtp.mails.length >= 1, 30_000);
      await waitFor(
        'one Slack call and one signed webhook',
        async () => slackCalls().length >= 1 && hookCalls().length >= 1,
      );

      // More records and more checks in the same episode: still one message per channel.
      assert.equal((await batch(1000, 200)).status, 200);
      await twoChecksLater();
      assert.equal(smtp.mails.length, 1, smtp.mails.map((m) => m.subject).join('\n'));
      assert.equal(slackCalls().length, 1);
      assert.equal(hookCalls().length, 1);

      const mail = smtp.mails[0]!;
      assert.equal(mail.user, SMTP_USER, 'the client signed in with the stored password');
      assert.deepEqual(
        mail.to,
        ['ops@shop.test', 'owner@alert-shop.test'],
        'the subscription adds its own recipient',
      );
      assert.match(mail.subject, /Alert: Alert Shop: paused \(AUTH_INVALID_KEY\)/);
      assert.match(mail.text, /Transfers of Alert Shop are waiting: Klaviyo refused/);
      assert.match(mail.text, new RegExp(`See ${svc.baseUrl}/alerts`));
      const slack = slackCalls()[0]!;
      assert.match(slack.json.text, /paused \(AUTH_INVALID_KEY\)/);
      const signed = hookCalls()[0]!;
      assert.equal(signed.json.event, 'alert/opened');
      assert.equal(signed.json.subscription_id, sub);
      assert.equal(signed.json.alert.kind, 'paused');
      assert.ok(
        verifyWebhook(
          hook.body.secret,
          String(signed.headers[TIMESTAMP_HEADER]),
          signed.body,
          String(signed.headers[SIGNATURE_HEADER]),
        ),
        `the delivery is signed with the endpoint's secret: ${JSON.stringify(signed.headers)}`,
      );

      const listed = await svc.api('GET', `/api/v1/alerts?subscription=${sub}`);
      assert.equal(listed.body.data.length, 1);
      const alert = listed.body.data[0];
      assert.equal(alert.state, 'open');
      assert.ok(Date.parse(alert.opened_at) > 0);
      assert.deepEqual(
        alert.notifications.map((n: { channel: string; state: string }) => `${n.channel}:${n.state}`).sort(),
        ['email:sent', 'slack:sent', 'webhook:sent'],
      );

      // The key is fixed: a new key made in Klaviyo and saved on the subscription (which tests it).
      const fresh = await sandboxControl('/__sandbox/keys', {});
      assert.equal(fresh.status, 201);
      const { api_key: newKey } = (await fresh.json()) as { api_key: string };
      const saved = await svc.api('PATCH', `/api/v1/subscriptions/${sub}`, { api_key: newKey });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal(saved.body.status, 'connected', JSON.stringify(saved.body));
      await waitFor('one recovery email', async () => smtp.mails.length >= 2, 30_000);
      await waitFor(
        'the waiting transfers sent',
        async () => (await states()).every((x) => x === 'succeeded'),
        60_000,
      );
      await waitFor(
        'one recovery on Slack and webhook',
        async () => slackCalls().length >= 2 && hookCalls().length >= 2,
      );
      await twoChecksLater();
      assert.equal(smtp.mails.length, 2);
      assert.equal(slackCalls().length, 2);
      assert.equal(hookCalls().length, 2);
      assert.match(smtp.mails[1]!.subject, /Recovered: Alert Shop: paused/);
      assert.match(smtp.mails[1]!.text, /connected again/);
      assert.match(slackCalls()[1]!.json.text, /Recovered/);
      assert.equal(hookCalls()[1]!.json.event, 'alert/resolved');
      const after = await svc.api('GET', `/api/v1/alerts/${alert.id}`);
      assert.equal(after.body.state, 'resolved');
      assert.ok(after.body.resolved_at >= after.body.opened_at);
      assert.ok(!svc.logs().includes(SMTP_PASSWORD), 'the SMTP password never reaches the log');
    });

    test('"send test alert" answers each channel and is listed with its time', async () => {
      const before = smtp.mails.length;
      const sent = await svc.api('POST', '/api/v1/alerts/test');
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      assert.equal(sent.body.kind, 'test');
      assert.deepEqual(
        sent.body.notifications
          .map((n: { channel: string; state: string }) => `${n.channel}:${n.state}`)
          .sort(),
        ['email:sent', 'slack:sent', 'webhook:sent'],
      );
      assert.equal(smtp.mails.length, before + 1);
      assert.match(smtp.mails.at(-1)!.subject, /Test alert/);

      // A wrong password: the answer says what failed, without the password.
      await svc.api('PUT', '/api/v1/alerts/settings/email', {
        enabled: true,
        host: '127.0.0.1',
        port: smtp.port,
        security: 'none',
        username: SMTP_USER,
        password: 'wrong-password-123',
        from: 'klaviyo-sync@shop.test',
        to: ['ops@shop.test'],
      });
      const failed = await svc.api('POST', '/api/v1/alerts/test');
      const email = failed.body.notifications.find((n: { channel: string }) => n.channel === 'email');
      assert.equal(email.state, 'failed');
      assert.match(email.error, /SMTP server 127\.0\.0\.1:\d+/);
      assert.ok(!JSON.stringify(failed.body).includes('wrong-password-123'));
      const listed = await svc.api('GET', '/api/v1/alerts');
      assert.equal(listed.body.data[0].kind, 'test');
    });
  });
