// Browser test of the traffic screens: manual sync of three customers, their transfers in the log with
// their steps, and the dashboard's charts non-empty afterwards.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  apiKeySubscription,
  chromiumMissing,
  screenshot,
  signedInPage,
  useConsoleWorld,
  unlabelledControls,
} from './harness.ts';

const CUSTOMERS = [
  { id: 'sync-c1', first_name: 'Grace', last_name: 'Hopper', email_address: 'grace@example.com' },
  { id: 'sync-c2', first_name: 'Alan', last_name: 'Turing', email_address: 'alan@example.com' },
  { id: 'sync-c3', first_name: 'Edsger', last_name: 'Dijkstra', email_address: 'edsger@example.com' },
];

describe('console manual sync, transfer log and dashboard', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  test('manual sync of three customers; their transfers in the log; the dashboard charts the traffic', async () => {
    // Customers first, so that only the manual sync (not the created triggers) moves them.
    for (const c of CUSTOMERS)
      assert.equal((await world.svc.api('POST', '/api/v1/customers', c)).status, 201);
    const sub = await apiKeySubscription(world, 'Sync shop');

    const { page, context, errors } = await signedInPage(world);
    await page.getByRole('link', { name: 'Manual sync' }).click();
    await page.getByRole('heading', { name: 'Manual sync', level: 1 }).waitFor();
    await page.getByLabel('Subscription').selectOption(sub.id);
    const collection = page.getByRole('combobox', { name: 'Collection' });
    await collection
      .locator('option', { hasText: 'Add Klaviyo Profile FROM hub' })
      .waitFor({ state: 'attached' });
    await collection.selectOption({ label: 'Add Klaviyo Profile FROM hub (hub ids)' });
    await page.getByRole('textbox', { name: 'Record ids' }).fill(CUSTOMERS.map((c) => c.id).join('\n'));
    await page.getByText('3 ids entered.').waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByRole('status').filter({ hasText: 'Queued: 3 records' }).waitFor();

    // The resulting transfers appear below and finish against the sandbox.
    const results = page.getByRole('table', { name: 'Transfers' });
    for (const c of CUSTOMERS) {
      await results
        .locator(`tr[data-record-id="${c.id}"]`)
        .getByText('succeeded')
        .waitFor({ timeout: 40_000 });
    }
    await screenshot(page, '13-manual-sync');

    // The transfer log, filtered to the subscription, holds the three and shows a transfer's steps.
    await page.getByRole('link', { name: 'Transfer log' }).click();
    await page.getByRole('heading', { name: 'Transfer log', level: 1 }).waitFor();
    await page.getByLabel('Subscription').selectOption(sub.id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const log = page.getByRole('table', { name: 'Transfers' });
    for (const c of CUSTOMERS) await log.locator(`tr[data-record-id="${c.id}"]`).first().waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await log
      .locator(`tr[data-record-id="${CUSTOMERS[0].id}"]`)
      .first()
      .getByRole('button', { name: /Steps/ })
      .click();
    const steps = page.locator('.transfer-detail .steps li');
    await steps.first().waitFor();
    assert.ok((await steps.count()) >= 1);
    // A succeeded transfer cannot be retried.
    assert.equal(
      await page.locator('.transfer-detail').getByRole('button', { name: 'Retry' }).isDisabled(),
      true,
    );
    await screenshot(page, '14-transfer-log');

    // The time filter goes to the server: a From in the future matches nothing, cleared it shows all again.
    const from = page.getByLabel('From');
    await from.fill('2099-01-01T00:00');
    const [timeRequest] = await Promise.all([
      page.waitForRequest(
        (r) => r.url().includes('/api/v1/transfers?') && r.url().includes('created_after='),
      ),
      page.getByRole('button', { name: 'Apply filters' }).click(),
    ]);
    assert.match(new URL(timeRequest.url()).searchParams.get('created_after') ?? '', /^2099-01-01T/);
    await page.getByText('No transfers match.').waitFor();
    await from.fill('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    for (const c of CUSTOMERS) await log.locator(`tr[data-record-id="${c.id}"]`).first().waitFor();

    // Searching by a hub id narrows the log to that record.
    await page.getByRole('searchbox', { name: 'Search' }).fill(CUSTOMERS[1].id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await log.locator(`tr[data-record-id="${CUSTOMERS[0].id}"]`).waitFor({ state: 'detached' });
    assert.ok((await log.locator(`tr[data-record-id="${CUSTOMERS[1].id}"]`).count()) >= 1);

    // The dashboard charts the transfers and the Klaviyo calls they made.
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const transfersChart = page.locator('figure[data-chart="Transfers per minute by state"]');
    const callsChart = page.locator('figure[data-chart="Klaviyo calls and 429s per minute"]');
    await transfersChart.waitFor();
    await page.waitForFunction(
      () =>
        Number(
          document
            .querySelector('figure[data-chart="Transfers per minute by state"]')
            ?.getAttribute('data-total'),
        ) >= 3 &&
        Number(
          document
            .querySelector('figure[data-chart="Klaviyo calls and 429s per minute"]')
            ?.getAttribute('data-total'),
        ) > 0,
      undefined,
      { timeout: 40_000 },
    );
    assert.ok(Number(await transfersChart.getAttribute('data-total')) >= 3);
    assert.ok(Number(await callsChart.getAttribute('data-total')) > 0);
    // uPlot drew on its canvas (not just an empty frame).
    assert.equal(await transfersChart.locator('canvas').count(), 1);
    assert.deepEqual(await unlabelledControls(page), []);
    await screenshot(page, '15-dashboard');
    assert.deepEqual(errors, [], 'no script or console errors');
    await context.close();
  });

  test('a failed transfer shows its error and steps; fixed at the source, Retry sends it again', async () => {
    const sub = await apiKeySubscription(world, 'Retry shop');
    // No email, phone or external id: the created trigger's transfer fails for good.
    const made = await world.svc.api('POST', '/api/v1/customers', {
      id: 'retry-c1',
      first_name: 'No',
      last_name: 'Mail',
    });
    assert.equal(made.status, 201);

    const { page, context, errors } = await signedInPage(world);
    await page.goto(`${world.svc.baseUrl}/transfers?subscription=${sub.id}`);
    await page.getByRole('heading', { name: 'Transfer log', level: 1 }).waitFor();
    const row = page.locator('tr[data-record-id="retry-c1"]').first();
    await refreshUntil(page, () => row.getByText('failed').isVisible());
    assert.match((await row.textContent()) ?? '', /MAPPING_REQUIRED_FIELD_MISSING/);
    await row.getByRole('button', { name: /Steps/ }).click();
    await page.locator('.transfer-detail .step-error').first().waitFor();
    assert.match(
      (await page.locator('.transfer-detail').textContent()) ?? '',
      /no email, phone number or external id/,
    );
    await screenshot(page, '16-transfer-failed');

    const fixed = await world.svc.api('PATCH', '/api/v1/customers/retry-c1', {
      email_address: 'nomail@example.com',
    });
    assert.equal(fixed.status, 200);
    await page.locator('.transfer-detail').getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('status').filter({ hasText: 'Retry queued.' }).waitFor();
    await refreshUntil(page, async () => /succeeded/.test((await row.textContent()) ?? ''));
    assert.deepEqual(errors, [], 'no script or console errors');
    await context.close();
  });
});

/** Clicks the log's Refresh until the check passes (the worker runs on its own schedule). */
async function refreshUntil(
  page: import('playwright-core').Page,
  check: () => Promise<boolean>,
): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (await check()) return;
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForTimeout(250);
  }
  assert.fail('the transfer log never showed the expected state');
}
