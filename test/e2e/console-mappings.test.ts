// Browser tests of the mappings editor: a formula mapping with a syntax error is marked at the mapping,
// fixed, saved, and previewed on a hub record.
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

describe('console mappings', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  test('a formula with a syntax error is marked at its mapping; fixed, it saves and previews a record', async () => {
    const sub = await apiKeySubscription(world, 'Mapping shop');
    const customer = await world.svc.api('POST', '/api/v1/customers', {
      id: 'cust-map-1',
      first_name: 'Ada',
      last_name: 'Lovelace',
      email_address: 'ada@example.com',
    });
    assert.equal(customer.status, 201);

    const { page, context, errors } = await signedInPage(world);
    await page.getByRole('link', { name: 'Mappings', exact: true }).first().click();
    await page.getByRole('heading', { name: 'Mappings', level: 1 }).waitFor();
    await page.getByLabel('Subscription').selectOption(sub.id);
    await page.getByRole('button', { name: /Add Klaviyo Profile FROM hub/ }).click();
    await page.getByRole('heading', { name: 'Add Klaviyo Profile FROM hub', level: 2 }).waitFor();
    assert.deepEqual(await unlabelledControls(page), []);

    const rowsBefore = await page.locator('[data-mapping-index]').count();
    await page.getByRole('button', { name: 'Add mapping' }).click();
    const n = rowsBefore + 1;
    await page.getByLabel(`Mapping ${n} destination`).fill('properties.Shouted_Name');
    await page.getByLabel(`Mapping ${n} formula`).fill('$uppercase(first_name');
    await page.getByRole('button', { name: 'Save collection' }).click();

    const rowError = page.locator(`[data-mapping-index="${n - 1}"] [data-testid="mapping-error"]`);
    await rowError.waitFor();
    assert.match((await rowError.textContent()) ?? '', /line 1, column \d+/);
    assert.equal(await page.getByLabel(`Mapping ${n} formula`).getAttribute('aria-invalid'), 'true');
    // The field in error takes the focus (docs/console.md, Mappings).
    const focusedLabel = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLInputElement | null;
        return (
          el?.getAttribute('aria-label') ?? el?.labels?.[0]?.textContent?.replace(/\s*\*$/, '') ?? el?.tagName
        );
      });
    assert.equal(await focusedLabel(), `Mapping ${n} formula`);
    assert.equal(
      await page.locator('[data-testid="mapping-error"]').count(),
      1,
      'only that mapping is marked',
    );
    await page.locator(`[data-mapping-index="${n - 1}"]`).scrollIntoViewIfNeeded();
    await screenshot(page, '07-mapping-formula-error');

    // A refused collection field (an empty name) takes the focus too, with its message under it.
    const name = page.getByRole('textbox', { name: 'Name', exact: true });
    await name.fill('');
    await page.getByLabel(`Mapping ${n} formula`).fill('$uppercase(first_name)');
    await page.getByRole('button', { name: 'Save collection' }).click();
    await page.locator('.field-invalid').getByRole('alert').waitFor();
    assert.equal((await focusedLabel())?.trim(), 'Name');
    await name.fill('Add Klaviyo Profile FROM hub');

    await page.getByRole('button', { name: 'Save collection' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.equal(await page.locator('[data-testid="mapping-error"]').count(), 0);

    await page.getByRole('combobox', { name: 'Record id' }).fill('cust-map-1');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const payload = page.getByTitle('Preview payload');
    await payload.waitFor();
    const text = (await payload.textContent()) ?? '';
    assert.match(text, /"Shouted_Name": "ADA"/);
    assert.match(text, /ada@example\.com/);
    await page.getByTestId('preview-result').scrollIntoViewIfNeeded();
    await screenshot(page, '08-mapping-preview');

    // The saved collection holds the fixed formula.
    const list = await world.svc.api('GET', `/api/v1/subscriptions/${sub.id}/collections`);
    const saved = list.body.data.find((c: { name: string }) => c.name === 'Add Klaviyo Profile FROM hub');
    assert.ok(
      saved.mappings.some(
        (m: { destination: string; formula?: string }) =>
          m.destination === 'properties.Shouted_Name' && m.formula === '$uppercase(first_name)',
      ),
    );
    assert.deepEqual(errors, [], 'no script or console errors');
    await context.close();
  });
});
