// The Alerts page, its channel settings and the subscription health panel in real Chromium, at desktop
// (1,366 × 900) and phone (390 × 844) sizes. Each view fails on a horizontal scrollbar, a console error,
// an unlabelled control or a request to another site; screenshots go to test-output/alerts/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { alertsOf } from '../../src/alerts/index.ts';
import {
  type HttpReceiver,
  type SmtpReceiver,
  startHttpReceiver,
  startSmtpReceiver,
} from '../alerts/receivers.ts';
import { transferRow } from '../helpers/transfers.ts';
import { waitFor } from '../helpers/wait.ts';
import {
  apiKeySubscription,
  chromiumMissing,
  pageErrors,
  unlabelledControls,
  useConsoleWorld,
} from './harness.ts';

const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-output/alerts');
const SIZES = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** What makes a view fail: a horizontal scrollbar, unlabelled controls, errors or external requests. */
async function checkView(page: Page, errors: string[], what: string) {
  const overflow = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
    widest: [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 5)
      .map(
        (el) =>
          `${el.tagName.toLowerCase()}.${el.className} → ${Math.round(el.getBoundingClientRect().right)}px`,
      ),
  }));
  assert.ok(
    overflow.scroll <= overflow.client,
    `${what}: horizontal scrollbar (${overflow.scroll} > ${overflow.client}): ${overflow.widest.join(', ')}`,
  );
  assert.deepEqual(await unlabelledControls(page), [], `${what}: unlabelled controls`);
  assert.deepEqual(errors, [], `${what}: errors or external requests`);
}

describe('console: alerts and subscription health', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();
  let smtp: SmtpReceiver;
  let http: HttpReceiver;
  let subId: string;

  test('set up: channels through the page, a test alert, a paused subscription with failures', async () => {
    mkdirSync(shots, { recursive: true });
    smtp = await startSmtpReceiver('console@shop.test', 'console-pass-1');
    http = await startHttpReceiver();
    const context = await world.browser.newContext({ viewport: { width: 1366, height: 900 } });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    const errors = pageErrors(page, [new URL(world.svc.baseUrl).origin]);
    try {
      await page.goto(`${world.svc.baseUrl}/alerts`);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(world.svc.adminPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();

      const email = page.getByRole('form', { name: 'Email alerts' });
      await email.getByLabel('SMTP host').fill('127.0.0.1');
      await email.getByLabel('Port').fill(String(smtp.port));
      await email.getByLabel('Security').selectOption('none');
      await email.getByLabel('Username').fill('console@shop.test');
      await email.getByLabel('Password').fill('console-pass-1');
      await email.getByLabel('From').fill('klaviyo-sync@shop.test');
      await email.getByLabel('Recipients').fill('ops@shop.test, oncall@shop.test');
      await email.getByRole('button', { name: 'Save email settings' }).click();
      await page.getByText('Email settings saved.').waitFor();
      await page.getByText(/Stored \(••••ss-1\)/).waitFor();

      const slack = page.getByRole('form', { name: 'Slack alerts' });
      await slack.getByLabel('Incoming webhook URL').fill('https://10.1.2.3/hook');
      await slack.getByRole('button', { name: 'Save Slack settings' }).click();
      await slack.getByText(/loopback, private, link-local or otherwise internal address/).waitFor();
      await slack.getByLabel('Incoming webhook URL').fill(`${http.url}/services/T1/B1/x`);
      await slack.getByRole('button', { name: 'Save Slack settings' }).click();
      await page.getByText('Slack settings saved.').waitFor();

      await page.getByRole('button', { name: 'Send test alert' }).click();
      await page.getByText(/Test sent at .*email sent; slack sent/).waitFor();
      assert.equal(smtp.mails.length, 1);
      assert.deepEqual(smtp.mails[0]!.to.sort(), ['oncall@shop.test', 'ops@shop.test']);
      assert.equal(http.calls.length, 1);
      assert.match(http.calls[0]!.json.text, /Test alert/);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }

    // A subscription whose key Klaviyo stops accepting mid-run, with failures of the last hours.
    const sub = await apiKeySubscription(world, 'Phone Shop');
    subId = sub.id;
    const revoked = await fetch(`${world.sandbox.url}/__sandbox/keys/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: world.sandbox.apiKey }),
    });
    assert.equal(revoked.status, 200);
    const records = Array.from({ length: 40 }, (_, i) => ({
      id: `pc-${i}`,
      email_address: `pc-${i}@shop.test`,
    }));
    assert.equal((await world.svc.api('POST', '/api/v1/customers/batch', { records })).status, 200);
    await waitFor('the subscription paused', async () => {
      const h = await world.svc.api('GET', `/api/v1/subscriptions/${subId}/health`);
      return h.body.paused !== null;
    });
    const now = Date.now();
    const rows = [
      ['KLAVIYO_EMAIL_INVALID', 'failed', 20 * 60_000],
      ['KLAVIYO_EMAIL_INVALID', 'failed', 25 * 60_000],
      ['KLAVIYO_PHONE_INVALID', 'failed', 4 * 3_600_000],
      ['KLAVIYO_UNAVAILABLE', 'dead', 40 * 60_000],
    ].map(([code, state, ago], i) =>
      transferRow({
        subscription_id: subId,
        record_id: `old-${i}`,
        state: state as string,
        tracking_id: `old-${i}`,
        error_code: code as string,
        error_message: `Klaviyo refused the record (${code}); see docs/errors.md.`,
        created_at: new Date(now - (ago as number)).toISOString(),
        updated_at: new Date(now - (ago as number)).toISOString(),
      }),
    );
    await world.svc.ctx.store.db.insertInto('transfers').values(rows).execute();
    await alertsOf(world.svc.ctx).check();
    await alertsOf(world.svc.ctx).idle();
    const open = await world.svc.api('GET', '/api/v1/alerts?state=open');
    assert.deepEqual(open.body.data.map((a: { kind: string }) => a.kind).sort(), [
      'dead_transfers',
      'paused',
    ]);
  });

  for (const size of SIZES) {
    test(`alerts page, subscription health and dashboard at ${size.width} × ${size.height}`, async () => {
      const context = await world.browser.newContext({
        viewport: { width: size.width, height: size.height },
      });
      context.setDefaultTimeout(20_000);
      const page = await context.newPage();
      const errors = pageErrors(page, [new URL(world.svc.baseUrl).origin]);
      try {
        await page.goto(`${world.svc.baseUrl}/alerts`);
        await page.getByLabel('Username').fill('admin');
        await page.getByLabel('Password').fill(world.svc.adminPassword);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
        const list = page.getByRole('list', { name: 'Alerts' });
        await list.getByText('Phone Shop: paused (AUTH_INVALID_KEY)').waitFor();
        await list.getByText(/Phone Shop: 1 transfer dead/).waitFor();
        await list.getByText('Test alert', { exact: true }).waitFor();
        assert.match((await page.getByTestId('alerts-summary').textContent()) ?? '', /^2 open/);
        await checkView(page, errors, `alerts page at ${size.name}`);
        await page.screenshot({ path: path.join(shots, `alerts-${size.name}.png`), fullPage: true });
        await page.screenshot({ path: path.join(shots, `alerts-${size.name}-first-screen.png`) });

        await page.getByRole('link', { name: 'Phone Shop' }).first().click();
        await page.getByRole('heading', { name: 'Health' }).waitFor();
        await page.getByTestId('backlog').filter({ hasText: '40' }).waitFor();
        assert.equal(await page.getByTestId('eta').textContent(), 'Paused: not draining');
        assert.equal(await page.getByTestId('last-success').textContent(), 'never');
        const hour = page.getByRole('table', { name: /Last hour: 3 failed/ });
        await hour.getByRole('cell', { name: 'KLAVIYO_EMAIL_INVALID', exact: true }).waitFor();
        const day = page.getByRole('table', { name: /Last 24 hours: 4 failed/ });
        await day.getByRole('cell', { name: 'KLAVIYO_PHONE_INVALID', exact: true }).waitFor();
        await page.locator('[data-chart="Last 24 hours (per 10 minutes)"] canvas').waitFor();
        await page.getByRole('form', { name: 'Alerts' }).getByLabel('Alert above this % failed').waitFor();
        await checkView(page, errors, `subscription health at ${size.name}`);
        await page
          .locator('section.health')
          .screenshot({ path: path.join(shots, `health-${size.name}.png`) });
        await page.screenshot({ path: path.join(shots, `subscription-${size.name}.png`), fullPage: true });

        await page.goto(`${world.svc.baseUrl}/dashboard`);
        await page.getByRole('heading', { name: 'Subscriptions at a glance' }).waitFor();
        await page
          .locator('.health-overview')
          .getByText('Phone Shop: paused (AUTH_INVALID_KEY)', { exact: false })
          .waitFor();
        await checkView(page, errors, `dashboard at ${size.name}`);
        await page.screenshot({ path: path.join(shots, `dashboard-${size.name}.png`), fullPage: true });
      } finally {
        await context.close();
      }
    });
  }

  test('rules saved from the subscription page; a wrong value names its field', async () => {
    const context = await world.browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const errors = pageErrors(page, [new URL(world.svc.baseUrl).origin]);
    try {
      await page.goto(`${world.svc.baseUrl}/subscriptions/${subId}`);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(world.svc.adminPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const form = page.getByRole('form', { name: 'Alerts' });
      await form.getByLabel('Alert above this % failed').fill('150');
      await form.getByRole('button', { name: 'Save alert rules' }).click();
      await form
        .getByRole('alert')
        .filter({ hasText: /max_failure_percent|100/ })
        .waitFor();
      await form.getByLabel('Alert above this % failed').fill('25');
      await form.getByLabel('Window (minutes)').fill('30');
      await form.getByRole('button', { name: 'Save alert rules' }).click();
      await page.getByText('Alert rules saved.').waitFor();
      const rules = await world.svc.api('GET', `/api/v1/subscriptions/${subId}/alert-rules`);
      assert.equal(rules.body.max_failure_percent, 25);
      assert.equal(rules.body.failure_window_minutes, 30);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await smtp?.close();
      await http?.close();
    }
  });
});
