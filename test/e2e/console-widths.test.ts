// Every console page at a phone's width (390 × 844), and the transfer log with a failed transfer's steps
// open at a laptop's (1366 × 900): nothing may make the page scroll sideways. Tables scroll inside their
// own box, the menu folds behind a Menu button, a transfer's step payloads scroll inside theirs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/wait.ts';
import { apiKeySubscription, chromiumMissing, useConsoleWorld } from './harness.ts';
import { LAPTOP, PHONE, scrollWidth, TABLET, sidewaysOverflow, signInAt, teamScreenshot } from './layout.ts';

async function openFailedSteps(page: Page, baseUrl: string, subscriptionId: string) {
  const row = page.locator('tr[data-record-id="wide-c1"]').first();
  // The worker fails the transfer on its own time: reload until the log shows it.
  for (let i = 0; i < 200; i++) {
    await page.goto(`${baseUrl}/transfers?subscription=${subscriptionId}`);
    await page.getByRole('heading', { name: 'Transfer log', level: 1 }).waitFor();
    await page.locator('table.transfers, p.empty').first().waitFor();
    if (await row.getByText('failed').isVisible()) break;
  }
  await row.getByRole('button', { name: /Steps/ }).click();
  await page.locator('.transfer-detail .step-error').first().waitFor();
}

describe('console widths', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  test('every page fits a 390 px phone and a 768 px tablet; the menu opens and closes; the failed transfer steps fit at 1366 px', async () => {
    const sub = await apiKeySubscription(world, 'Wide shop with a rather long name for a phone');
    // No email, phone or external id: its transfer fails, with steps that carry payloads.
    await world.svc.api('POST', '/api/v1/customers', { id: 'wide-c1', first_name: 'No', last_name: 'Mail' });
    await world.svc.api('POST', '/api/v1/customers', {
      id: 'wide-c2',
      first_name: 'Ada',
      email_address: 'ada.lovelace.with.a.long.address@example.com',
    });
    await world.svc.api('POST', '/api/v1/webhooks', {
      url: 'https://hooks.example.com/a/rather/long/path/for/a/receiver',
      events: ['customer/created'],
    });

    // The failed transfer's own page (its permanent address) is one of the pages to check.
    const failedId = await waitFor('the failed transfer', async () => {
      const log = await world.svc.api('GET', `/api/v1/transfers?subscription=${sub.id}&state=failed`);
      return log.body?.data?.find((t: { record_id: string }) => t.record_id === 'wide-c1')?.id as
        | string
        | undefined;
    });
    const { page, context, errors } = await signInAt(world, PHONE);
    const widths: Record<string, number> = {};
    const pages: [string, string, (p: Page) => Promise<void>][] = [
      ['/subscriptions', 'Subscriptions', async () => {}],
      ['/subscriptions/new', 'New subscription', async () => {}],
      [`/subscriptions/${sub.id}`, sub.id, async () => {}],
      [
        `/subscriptions/${sub.id}/mappings`,
        'Mappings',
        async (p) => {
          await p.getByRole('button', { name: /Add Klaviyo Profile FROM hub/ }).click();
          await p.getByRole('heading', { name: 'Add Klaviyo Profile FROM hub', level: 2 }).waitFor();
        },
      ],
      ['/mappings', 'Mappings', async () => {}],
      [`/sync?subscription=${sub.id}`, 'Manual sync', async () => {}],
      [
        `/transfers?subscription=${sub.id}`,
        'Transfer log',
        async (p) => p.locator('table.transfers').waitFor(),
      ],
      ['/dashboard', 'Dashboard', async (p) => p.locator('canvas').first().waitFor()],
      ['/alerts', 'Alerts', async () => {}],
      [
        `/transfers/${failedId}`,
        `Transfer ${failedId}`,
        async (p) => p.locator('.transfer-detail').first().waitFor(),
      ],
      ['/webhooks', 'Webhooks', async (p) => p.getByRole('table', { name: 'Webhook endpoints' }).waitFor()],
      ['/tokens', 'API tokens', async (p) => p.getByRole('table', { name: 'Tokens' }).waitFor()],
      ['/users', 'Users', async (p) => p.getByRole('table', { name: 'Users' }).waitFor()],
      ['/no-such-page', 'Page not found', async () => {}],
    ];
    const failures: string[] = [];
    const visitAll = async (p: Page, size: string) => {
      for (const [url, heading, ready] of pages) {
        await p.goto(`${world.svc.baseUrl}${url}`);
        if (heading === sub.id) await p.getByRole('heading', { level: 1 }).first().waitFor();
        else await p.getByRole('heading', { name: heading, level: 1 }).waitFor();
        await ready(p);
        widths[`${url} (${size})`] = await scrollWidth(p);
        const slug = url
          .replace(/\?.*$/, '')
          .replace(sub.id, 'id')
          .replace(failedId, 'id')
          .replace(/[^a-z]+/g, '-')
          .replace(/^-|-$/g, '');
        await teamScreenshot(p, `${size}-page-${slug || 'home'}`);
        const { extra, culprits } = await sidewaysOverflow(p);
        if (extra > 0) failures.push(`${url} at ${size}: ${extra} px too wide (${culprits.join(', ')})`);
      }
    };
    await visitAll(page, 'phone');
    // A tablet held upright (768 × 1024): the menu is folded there too, tables scroll in their box.
    const tablet = await signInAt(world, TABLET);
    await visitAll(tablet.page, 'tablet');
    const tabletErrors = tablet.errors;
    await tablet.context.close();
    if (failures.length) console.log(`too wide:\n${failures.join('\n')}`);

    // The menu: folded behind Menu, it opens over the page, lists every page, and a choice closes it.
    await page.goto(`${world.svc.baseUrl}/subscriptions`);
    await page.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
    const menu = page.getByRole('button', { name: 'Menu' });
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Transfer log' }).isVisible(), false);
    await teamScreenshot(page, 'phone-menu-closed');
    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    for (const name of [
      'Alerts',
      'Subscriptions',
      'Mappings',
      'Manual sync',
      'Transfer log',
      'Dashboard',
      'Webhooks',
      'API tokens',
      'Users',
    ]) {
      const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
      assert.ok(await link.isVisible(), `${name} in the open menu`);
    }
    const open = await sidewaysOverflow(page);
    assert.equal(open.extra, 0, `open menu: ${open.culprits.join(', ')}`);
    await teamScreenshot(page, 'phone-menu-open');
    await nav.getByRole('link', { name: 'Transfer log' }).click();
    await page.getByRole('heading', { name: 'Transfer log', level: 1 }).waitFor();
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');

    // A failed transfer's steps on the phone.
    await openFailedSteps(page, world.svc.baseUrl, sub.id);
    widths['/transfers (steps open, 390)'] = await scrollWidth(page);
    const phoneSteps = await sidewaysOverflow(page);
    if (phoneSteps.extra > 0)
      failures.push(`steps at 390: ${phoneSteps.extra} px (${phoneSteps.culprits.join(', ')})`);
    await teamScreenshot(page, 'phone-transfer-steps');
    await context.close();

    // The same steps at 1366 px: the detail row is not caught by the table's nowrap columns.
    const laptop = await signInAt(world, LAPTOP);
    await openFailedSteps(laptop.page, world.svc.baseUrl, sub.id);
    widths['/transfers (steps open, 1366)'] = await scrollWidth(laptop.page);
    const laptopSteps = await sidewaysOverflow(laptop.page);
    if (laptopSteps.extra > 0)
      failures.push(`steps at 1366: ${laptopSteps.extra} px (${laptopSteps.culprits.join(', ')})`);
    await teamScreenshot(laptop.page, 'laptop-transfer-steps');
    await laptop.context.close();

    // The sign-in page on a phone.
    const bare = await world.browser.newContext({ viewport: PHONE });
    const signInPage = await bare.newPage();
    await signInPage.goto(`${world.svc.baseUrl}/`);
    await signInPage.getByRole('heading', { name: 'Sign in to klaviyo-sync' }).waitFor();
    widths['/ (sign-in)'] = await scrollWidth(signInPage);
    assert.equal((await sidewaysOverflow(signInPage)).extra, 0);
    await bare.close();

    console.log(`scroll widths: ${JSON.stringify(widths)}`);
    assert.deepEqual(failures, []);
    assert.deepEqual(
      [...errors, ...tabletErrors, ...laptop.errors],
      [],
      'no script or console errors, no external requests',
    );
  });
});
