// Browser tests of the subscription screens: creating an API-key subscription against the sandbox and
// seeing it connected; a throttling value refused inline; the toolbar's disabled Initialize.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chromiumMissing, screenshot, signedInPage, useConsoleWorld, unlabelledControls } from './harness.ts';

describe('console subscriptions', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  test('create an API-key subscription against the sandbox and see it connected', async () => {
    const { page, context, errors } = await signedInPage(world);
    await page.getByRole('link', { name: 'New subscription' }).click();
    await page.getByRole('heading', { name: 'New subscription' }).waitFor();
    // Defaults are filled in, required fields are marked.
    assert.equal(
      await page.getByRole('spinbutton', { name: 'API Throttle Limit', exact: true }).inputValue(),
      '3500',
    );
    assert.equal(await page.getByLabel('Concurrent Connections').inputValue(), '10');
    assert.equal(await page.getByLabel('API URL').inputValue(), 'https://a.klaviyo.com');
    assert.deepEqual(await unlabelledControls(page), []);
    await screenshot(page, '03-subscription-new');

    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Shop via key');
    await page.getByLabel('API URL').fill(world.sandbox.url);
    await page.getByRole('textbox', { name: 'API Key', exact: true }).fill(world.sandbox.apiKey);
    await page.getByRole('button', { name: 'Create subscription' }).click();

    await page.getByRole('heading', { name: 'Shop via key', level: 1 }).waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: 'Connected to Klaviyo account Sandbox Store' })
      .waitFor();
    assert.equal((await page.getByTestId('account-name').textContent())?.startsWith('Sandbox Store'), true);
    // The webhook key is shown in full once, right after creating.
    const key = await page.getByLabel(/Webhook API Key — copy it now/).inputValue();
    assert.ok(key.length >= 32, 'the full webhook key is shown once');
    // The API key is never shown in full.
    assert.equal(await page.getByText(world.sandbox.apiKey, { exact: true }).count(), 0);
    const initialize = page.getByRole('button', { name: 'Initialize' });
    assert.equal(await initialize.isDisabled(), true);
    assert.match(
      (await page.locator('#initialize-reason').textContent()) ?? '',
      /Initialization is not supported for Klaviyo/,
    );
    assert.deepEqual(await unlabelledControls(page), []);
    await screenshot(page, '04-subscription-connected');

    // After a refresh the key is gone for good, and the list shows the status.
    await page.reload();
    await page.getByRole('heading', { name: 'Shop via key', level: 1 }).waitFor();
    assert.equal(await page.getByLabel(/Webhook API Key — copy it now/).count(), 0);
    await page.getByRole('link', { name: 'Subscriptions', exact: true }).click();
    const row = page.getByRole('row', { name: /Shop via key/ });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Connected.*Sandbox Store.*API key/);
    await screenshot(page, '05-subscriptions-list');
    assert.deepEqual(errors, [], 'no script or console errors');
    await context.close();
  });

  test('a bad throttling value is refused inline at the field; a good one is saved', async () => {
    const made = await world.svc.api('POST', '/api/v1/subscriptions', {
      name: 'Throttle check',
      api_url: world.sandbox.url,
      auth_method: 'oauth',
    });
    assert.equal(made.status, 201);
    const { page, context, errors } = await signedInPage(world);
    await page.goto(`${world.svc.baseUrl}/subscriptions/${made.body.id}`);
    await page.getByRole('heading', { name: 'Throttle check', level: 1 }).waitFor();
    const limit = page.getByRole('spinbutton', { name: 'API Throttle Limit', exact: true });
    await limit.fill('0');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const fieldError = page.locator('.field-invalid .field-error');
    await fieldError.waitFor();
    assert.match((await fieldError.textContent()) ?? '', /API Throttle Limit must be at least 1/);
    assert.equal(await limit.getAttribute('aria-invalid'), 'true');
    assert.equal(
      await limit.evaluate((el) => el === document.activeElement),
      true,
      'the field takes the focus',
    );
    // The error is announced next to the field it concerns, not elsewhere.
    assert.equal(await page.locator('.field-invalid').count(), 1);
    assert.equal(await page.locator('.field-invalid input').getAttribute('id'), 'setting-throttle_limit');
    await screenshot(page, '06-throttle-refused');
    const stored = await world.svc.api('GET', `/api/v1/subscriptions/${made.body.id}`);
    assert.equal(stored.body.throttle_limit, 3500);

    await limit.fill('1200');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/^Saved\./).waitFor();
    assert.equal(await page.locator('.field-invalid').count(), 0);
    const after = await world.svc.api('GET', `/api/v1/subscriptions/${made.body.id}`);
    assert.equal(after.body.throttle_limit, 1200);
    // OAuth chosen but not done: the page says what to do.
    await page.getByText(/OAuth is chosen but not done yet/).waitFor();
    assert.deepEqual(errors, [], 'no script or console errors');
    await context.close();
  });
});
