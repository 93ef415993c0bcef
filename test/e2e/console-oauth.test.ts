// Browser test of OAuth from the console: Authenticate, the sandbox's consent page (Continue, Allow),
// the callback, and the masked tokens with their expiry after a refresh; then Unlink.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chromiumMissing, screenshot, signedInPage, useConsoleWorld } from './harness.ts';

describe('console OAuth', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  test('Authenticate through the consent page, then see the masked tokens after a refresh', async () => {
    const { page, context, errors } = await signedInPage(world);
    await page.getByRole('link', { name: 'New subscription' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Shop via OAuth');
    await page.getByLabel('API URL').fill(world.sandbox.url);
    await page.getByRole('radio', { name: /OAuth/ }).check();
    // With OAuth chosen there is no key to type.
    assert.equal(await page.getByRole('textbox', { name: 'API Key', exact: true }).count(), 0);
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await page.getByRole('heading', { name: 'Shop via OAuth', level: 1 }).waitFor();
    await page.getByText(/OAuth is chosen but not done yet/).waitFor();
    const subscriptionUrl = page.url();

    await page.getByRole('toolbar').getByRole('link', { name: 'Authenticate' }).click();
    await page.getByRole('button', { name: 'Continue' }).waitFor();
    assert.equal(new URL(page.url()).origin, world.sandbox.url, 'the consent page is the sandbox’s');
    await screenshot(page, '09-oauth-consent');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.getByRole('heading', { name: 'Connected' }).waitFor();
    assert.match(
      (await page.locator('main').textContent()) ?? '',
      /Connected to Klaviyo account Sandbox Store/,
    );
    await screenshot(page, '10-oauth-callback');
    await page.getByRole('link', { name: 'Back to the subscription' }).click();
    await page.getByRole('heading', { name: 'Shop via OAuth', level: 1 }).waitFor();
    assert.equal(page.url().split('?')[0], subscriptionUrl.split('?')[0]);

    await page.reload();
    await page.getByRole('heading', { name: 'Shop via OAuth', level: 1 }).waitFor();
    const access = (await page.getByTestId('access-token').textContent()) ?? '';
    const refresh = (await page.getByTestId('refresh-token').textContent()) ?? '';
    const expiry = (await page.getByTestId('access-token-expiry').textContent()) ?? '';
    // Masked: only the last four characters are shown.
    assert.match(access, /^•+.{4}$/u);
    assert.match(refresh, /^•+.{4}$/u);
    assert.notEqual(expiry, '—');
    assert.ok(Date.parse(expiry) > Date.now() - 60_000 || /\d{4}/.test(expiry), `an expiry time: ${expiry}`);
    assert.match((await page.getByTestId('account-name').textContent()) ?? '', /^Sandbox Store/);
    assert.match((await page.locator('.page-head .badge').textContent()) ?? '', /Connected/);
    await screenshot(page, '11-oauth-tokens');

    // Klaviyo's side removes the app: the next call finds the authorization revoked, and the page shows
    // the banner with the way back.
    assert.equal(
      world.sandbox.state.removeInstall(world.sandbox.oauthClient.clientId, world.sandbox.accountId),
      true,
    );
    await page.getByRole('button', { name: 'Test connection' }).click();
    const banner = page
      .getByRole('alert')
      .filter({ hasText: 'Klaviyo access was removed — click Authenticate to reconnect' });
    await banner.waitFor();
    assert.match((await page.locator('.page-head .badge').textContent()) ?? '', /Authorization revoked/);
    await screenshot(page, '12-oauth-revoked-banner');
    await banner.getByRole('link', { name: 'Authenticate' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Connected' }).waitFor();
    await page.getByRole('link', { name: 'Back to the subscription' }).click();
    await page.getByRole('heading', { name: 'Shop via OAuth', level: 1 }).waitFor();
    assert.match((await page.locator('.page-head .badge').textContent()) ?? '', /Connected/);
    assert.equal(await banner.count(), 0);

    // Unlink revokes and deletes the tokens; the page says so and asks for Authenticate again.
    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('button', { name: 'Unlink' }).click();
    await page.getByRole('status').filter({ hasText: 'Unlinked' }).waitFor();
    assert.equal(await page.getByTestId('access-token').textContent(), '—');
    assert.equal(await page.getByTestId('refresh-token').textContent(), '—');
    assert.deepEqual(errors, [], 'no script or console errors');
    await context.close();
  });
});
