// Browser test of "Request deletion in Klaviyo" on the Manual sync page: a refused value shown on its
// field, the confirmation step, and a linked customer's profile deleted in the sandbox.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import {
  apiKeySubscription,
  chromiumMissing,
  screenshot,
  signedInPage,
  useConsoleWorld,
  unlabelledControls,
} from './harness.ts';

describe('console privacy deletion request', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  test('asks for confirmation, shows refusals on the field, and the profile goes', async () => {
    const sub = await apiKeySubscription(world, 'Deletion shop');
    const put = await world.svc.api('PUT', '/api/v1/customers/del-c1', {
      email_address: 'erase@example.com',
      first_name: 'Erase',
    });
    assert.ok(put.status === 200 || put.status === 201);
    const links = world.svc.ctx.transfers!.engine.links;
    const profileId = await waitFor('the customer to be linked', () =>
      links.klaviyoIdOf(sub.id, 'customer', 'del-c1'),
    );
    const account = world.sandbox.state.account();
    assert.ok(account.profiles.byId.get(profileId));

    const { page, context, errors } = await signedInPage(world);
    await page.getByRole('link', { name: 'Manual sync' }).click();
    await page.getByLabel('Subscription').selectOption(sub.id);
    const form = page.getByRole('form', { name: 'Request deletion in Klaviyo' });
    await form.waitFor();

    // The service's refusal lands on the field.
    await form.getByLabel('Identify the profile by').selectOption('email');
    await form.getByRole('textbox', { name: 'Email address' }).fill('not-an-email');
    await form.getByRole('button', { name: 'Request deletion in Klaviyo…' }).click();
    await form.getByRole('button', { name: 'Confirm deletion request' }).click();
    await form.getByRole('alert').filter({ hasText: 'must be an email address' }).waitFor();

    // Cancel leaves everything as it was; confirming sends it.
    await form.getByLabel('Identify the profile by').selectOption('customer_id');
    await form.getByRole('textbox', { name: 'Hub customer id' }).fill('del-c1');
    await form.getByRole('button', { name: 'Request deletion in Klaviyo…' }).click();
    const dialog = form.getByRole('alertdialog', { name: 'Confirm the deletion request' });
    await dialog.getByText('del-c1').waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await dialog.count(), 0);
    await form.getByRole('button', { name: 'Request deletion in Klaviyo…' }).click();
    await dialog.getByRole('button', { name: 'Confirm deletion request' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Deletion requested for Klaviyo profile id ${profileId}` })
      .filter({ hasText: 'succeeded' })
      .waitFor({ timeout: 30_000 });
    await page
      .getByRole('list', { name: 'Deletion request steps' })
      .getByText(/accepted the deletion request/)
      .waitFor();
    await screenshot(page, '30-privacy-deletion');
    await world.sandbox.state.idle();
    assert.equal(account.profiles.byId.get(profileId), undefined, 'the profile is gone');
    assert.equal(await links.klaviyoIdOf(sub.id, 'customer', 'del-c1'), null);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
