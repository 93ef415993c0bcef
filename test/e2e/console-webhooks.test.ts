// Browser test of the webhooks page: a bad URL is refused next to its field, an endpoint is added and its
// secret shown once, the list masks it, rotation shows a new one, and disable and delete work.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chromiumMissing, screenshot, signedInPage, useConsoleWorld, unlabelledControls } from './harness.ts';

describe('console webhooks page', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  test('add an endpoint (secret shown once), rotate its secret, disable and delete it', async () => {
    const { page, context, errors } = await signedInPage(world);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByText('No endpoints yet.').waitFor();
    assert.deepEqual(await unlabelledControls(page), []);

    await page.getByLabel('Receiver URL').fill('http://example.com/hook');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('alert').filter({ hasText: 'Webhook URL refused' }).waitFor();

    await page.getByLabel('Receiver URL').fill('https://hooks.example.com/in');
    await page.getByRole('checkbox', { name: 'customer/deleted' }).check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await page.getByTestId('signing-secret').textContent()) ?? '';
    assert.match(secret, /^whsec_/);
    const row = page.getByRole('table', { name: 'Webhook endpoints' }).locator('tbody tr');
    await row.getByText('customer/created, customer/updated, customer/deleted').waitFor();
    assert.equal(await row.locator('td').nth(2).textContent(), `••••${secret.slice(-4)}`);
    await screenshot(page, '30-webhooks');

    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByText(secret).count(), 0, 'the secret is gone once dismissed');
    await page.reload();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await row.getByText('enabled').waitFor();
    assert.ok(!(await page.content()).includes(secret), 'a fresh page never shows the secret');

    // Rotate and Delete ask first (the browser's confirm); the answer decides.
    const asked: string[] = [];
    page.on('dialog', (dialog) => {
      asked.push(dialog.message());
      dialog.accept();
    });
    await page.getByRole('button', { name: 'Rotate the secret of https://hooks.example.com/in' }).click();
    const rotated = (await page.getByTestId('signing-secret').textContent()) ?? '';
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, secret);
    await row
      .locator('td')
      .nth(2)
      .getByText(`••••${rotated.slice(-4)}`)
      .waitFor();

    await page.getByRole('button', { name: 'Disable https://hooks.example.com/in' }).click();
    await row.getByText('disabled').waitFor();
    const stored = await world.svc.api('GET', '/api/v1/webhooks');
    assert.equal(stored.body.data[0].enabled, false);

    await page.getByRole('button', { name: 'Delete https://hooks.example.com/in' }).click();
    await page.getByText('No endpoints yet.').waitFor();
    assert.deepEqual(
      asked.map((m) => m.split('?')[0]),
      [
        'Rotate the signing secret of https://hooks.example.com/in',
        'Delete the webhook endpoint https://hooks.example.com/in',
      ],
    );
    assert.deepEqual((await world.svc.api('GET', '/api/v1/webhooks')).body.data, []);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
