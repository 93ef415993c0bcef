// Browser test of history in the console (docs/console.md): the settings form shows the backfill window
// with what it does and refuses a bad value at the field, and a manual sync with "Send as backfill" ticked
// sends its order events with backfill (read back from the sandbox's own state).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import {
  apiKeySubscription,
  chromiumMissing,
  screenshot,
  signedInPage,
  unlabelledControls,
  useConsoleWorld,
} from './harness.ts';

describe('console backfill', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  test('the settings form explains the backfill window, refuses -1 at the field and saves 0', async () => {
    const sub = await apiKeySubscription(world, 'Window shop');
    const { page, context, errors } = await signedInPage(world);
    await page.goto(`${world.svc.baseUrl}/subscriptions/${sub.id}`);
    await page.getByRole('heading', { name: 'Window shop', level: 1 }).waitFor();
    const window = page.getByRole('spinbutton', { name: 'Backfill window (hours)' });
    assert.equal(await window.inputValue(), '24');
    const hintId = (await window.getAttribute('aria-describedby'))?.split(' ')[0];
    const hint = await page.locator(`[id="${hintId}"]`).textContent();
    assert.match(hint ?? '', /do not trigger flows/);
    assert.match(hint ?? '', /0 turns this off/);

    await window.fill('-1');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const fieldError = page.locator('.field-invalid .field-error');
    await fieldError.waitFor();
    assert.match(
      (await fieldError.textContent()) ?? '',
      /Backfill window \(hours\) must be 0 \(off\) or more/,
    );
    assert.equal(await window.getAttribute('aria-invalid'), 'true');
    assert.equal(
      (await world.svc.api('GET', `/api/v1/subscriptions/${sub.id}`)).body.backfill_window_hours,
      24,
    );

    await window.fill('0');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/^Saved\./).waitFor();
    assert.equal(
      (await world.svc.api('GET', `/api/v1/subscriptions/${sub.id}`)).body.backfill_window_hours,
      0,
    );
    assert.deepEqual(errors, [], 'no script or console errors');
    await world.svc.api('DELETE', `/api/v1/subscriptions/${sub.id}`);
    await context.close();
  });

  test('a manual sync with "Send as backfill" ticked sends its order events as backfill', async () => {
    const sub = await apiKeySubscription(world, 'Backfill shop');
    // Orders reach Klaviyo only through the manual sync.
    await world.svc.api('PUT', `/api/v1/subscriptions/${sub.id}/flows`, {
      'transaction/created': false,
      'transaction/updated': false,
    });
    const put = await world.svc.api('PUT', '/api/v1/transactions/CON-1', {
      email_address: 'con-1@example.com',
      currency: 'USD',
      total: 5,
      created_datetime: new Date(Date.now() - 60_000).toISOString(),
      lines: [{ id: 'L1', sku: 'A', qty: 1, unit_price: 5, extended_price: 5 }],
    });
    assert.ok(put.status < 300, JSON.stringify(put.body));

    const { page, context, errors } = await signedInPage(world);
    await page.goto(`${world.svc.baseUrl}/sync?subscription=${encodeURIComponent(sub.id)}`);
    await page.getByRole('heading', { name: 'Manual sync', level: 1 }).waitFor();
    const collection = page.getByRole('combobox', { name: 'Collection' });
    await collection
      .locator('option', { hasText: 'Add Klaviyo Placed Order Event FROM hub' })
      .waitFor({ state: 'attached' });
    await collection.selectOption({ label: 'Add Klaviyo Placed Order Event FROM hub (hub ids)' });
    await page.getByRole('textbox', { name: 'Record ids' }).fill('CON-1');
    const backfill = page.getByRole('checkbox', { name: /Send as backfill/ });
    assert.equal(await backfill.isChecked(), false);
    await backfill.check();
    assert.deepEqual(await unlabelledControls(page), []);
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByRole('status').filter({ hasText: 'as a backfill' }).waitFor();
    await page
      .getByRole('table', { name: 'Transfers' })
      .locator('tr[data-record-id="CON-1"]')
      .getByText('succeeded')
      .waitFor({ timeout: 40_000 });
    await screenshot(page, '30-manual-sync-backfill');
    await world.sandbox.state.idle();
    const events = await waitFor('the order events', async () => {
      const found = world.sandbox.state
        .account()
        .events.filter((e) => e.uniqueId === 'CON-1' || e.uniqueId.startsWith('CON-1:'));
      return found.length === 2 && found;
    });
    assert.ok(
      events.every((e) => e.backfill === true),
      JSON.stringify(events.map((e) => e.backfill)),
    );
    assert.deepEqual(errors, [], 'no script or console errors');
    await context.close();
  });
});
