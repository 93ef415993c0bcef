// Browser tests of the Users and API tokens pages, at a laptop's size (1366 × 900) and a phone's
// (390 × 844): an admin invites a viewer by a one-time link, the viewer opens it, chooses a password,
// signs in, sees no Users page and makes a viewer token; the admin changes the viewer's role, cannot
// demote the last admin, makes and revokes a token, and removes the user. Every step fails on a sideways
// scrollbar, a console error, an unlabelled control or a request to another site.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { chromiumMissing, unlabelledControls, useConsoleWorld } from './harness.ts';
import { LAPTOP, PHONE, sidewaysOverflow, signInAt, teamScreenshot } from './layout.ts';

/** Opens a page from the main menu (folded behind Menu on a phone). */
async function goTo(page: Page, label: string) {
  const menu = page.getByRole('button', { name: 'Menu' });
  if ((await menu.isVisible()) && (await menu.getAttribute('aria-expanded')) === 'false') await menu.click();
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: label, exact: true })
    .click();
  await page.getByRole('heading', { name: label, level: 1 }).waitFor();
}

/** The checks every step makes: no sideways scroll, every control labelled. */
async function checkPage(page: Page, where: string) {
  const { extra, culprits } = await sidewaysOverflow(page);
  assert.equal(extra, 0, `${where}: ${extra} px too wide (${culprits.join(', ')})`);
  assert.deepEqual(await unlabelledControls(page), [], `${where}: unlabelled controls`);
}

function focusedName(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement | null;
    return (el?.getAttribute('aria-label') ?? el?.labels?.[0]?.textContent ?? el?.textContent ?? '')
      .replace(/\s*\*$/, '')
      .trim();
  });
}

describe('console users and API tokens', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  for (const [size, viewport] of [
    ['laptop', LAPTOP],
    ['phone', PHONE],
  ] as const) {
    test(`invite a viewer, who signs in and makes a token; roles, the last admin, tokens (${size})`, async () => {
      const name = `maria-${size}`;
      const admin = await signInAt(world, viewport);
      const page = admin.page;
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        dialog.accept();
      });

      // Users: invite with a role; a refused username takes the focus with its message.
      await goTo(page, 'Users');
      await page.getByRole('table', { name: 'Users' }).waitFor();
      await checkPage(page, 'users');
      await page.getByLabel('Username').fill('no spaces please');
      await page.getByRole('button', { name: 'Make invitation link' }).click();
      await page.locator('.field-invalid').getByRole('alert').waitFor();
      assert.equal(await focusedName(page), 'Username');
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Role', { exact: true }).selectOption('viewer');
      await page.getByRole('button', { name: 'Make invitation link' }).click();
      const linkField = page.getByTestId('invitation-link');
      const link = await linkField.inputValue();
      assert.match(link, /\/setup\?token=[\w-]{20,}$/);
      assert.equal(await focusedName(page), 'Done', 'the shown link takes the focus (its Done button)');
      await page
        .getByRole('table', { name: 'Open invitations' })
        .getByRole('cell', { name, exact: true })
        .waitFor();
      await checkPage(page, 'users with a link shown');
      await teamScreenshot(page, `${size}-users-invitation-link`);
      await page.getByRole('button', { name: 'Done' }).click();
      assert.equal(await linkField.count(), 0, 'the link is gone once dismissed');
      assert.equal(await focusedName(page), 'Username');

      // The invited person opens the link, chooses a password, and signs in.
      const guest = await world.browser.newContext({ viewport });
      const guestPage = await guest.newPage();
      await guestPage.goto(link);
      await guestPage.getByRole('heading', { name: 'Choose your password' }).waitFor();
      assert.match(
        (await guestPage.locator('main').textContent()) ?? '',
        new RegExp(`invited.*as ${name} with the role viewer`),
      );
      assert.equal((await sidewaysOverflow(guestPage)).extra, 0);
      await teamScreenshot(guestPage, `${size}-invitation-page`);
      await guestPage.getByLabel('Password', { exact: true }).fill('maria-password-1');
      await guestPage.getByLabel('Confirm password').fill('maria-password-1');
      await guestPage.getByRole('button', { name: 'Set the password' }).click();
      await guestPage.getByRole('heading', { name: 'Your password is set' }).waitFor();
      await guest.close();

      const viewer = await signInAt(world, viewport, name, 'maria-password-1');
      const vpage = viewer.page;
      const menu = vpage.getByRole('button', { name: 'Menu' });
      if (await menu.isVisible()) await menu.click();
      assert.equal(
        await vpage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).count(),
        0,
        'a viewer has no Users page in the menu',
      );
      assert.match(
        (await vpage.getByTestId('signed-in-as').textContent()) ?? '',
        new RegExp(`${name}\\s*viewer`),
      );
      await goTo(vpage, 'API tokens');
      const roleOptions = await vpage.getByLabel('Role', { exact: true }).locator('option').allTextContents();
      assert.deepEqual(roleOptions, ['viewer'], 'a viewer may make viewer tokens only');
      await vpage.getByRole('textbox', { name: 'Name', exact: true }).fill(`${name}-report`);
      await vpage.getByRole('button', { name: 'Make token' }).click();
      const viewerToken = await vpage.getByTestId('new-api-token').inputValue();
      assert.match(viewerToken, /^kst_/);
      const tokens = vpage.getByRole('table', { name: 'Tokens' });
      await tokens.getByRole('cell', { name: `${name}-report`, exact: true }).waitFor();
      assert.equal(
        await tokens.getByRole('columnheader', { name: 'Owner' }).count(),
        0,
        'a viewer sees their own tokens',
      );
      await checkPage(vpage, 'viewer tokens');
      await teamScreenshot(vpage, `${size}-viewer-token-shown`);
      // The token reads but cannot write.
      const read = await fetch(`${world.svc.baseUrl}/api/v1/subscriptions`, {
        headers: { authorization: `Bearer ${viewerToken}` },
      });
      assert.equal(read.status, 200);
      const write = await fetch(`${world.svc.baseUrl}/api/v1/subscriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${viewerToken}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(write.status, 403);
      // The viewer is told changes are refused, and a change tried anyway says why in a sentence.
      await vpage.getByTestId('viewer-notice').waitFor();
      await goTo(vpage, 'Webhooks');
      await vpage.getByLabel('Receiver URL').fill('https://hooks.example.com/viewer');
      await vpage.getByRole('button', { name: 'Add endpoint' }).click();
      await vpage.getByRole('alert').filter({ hasText: 'Only an admin may do this' }).waitFor();
      await checkPage(vpage, 'viewer refused on webhooks');
      await teamScreenshot(vpage, `${size}-viewer-refused`);
      // A viewer who opens /users by its address is told it is an admin's page.
      await vpage.goto(`${world.svc.baseUrl}/users`);
      await vpage.getByText('Only an admin manages users.').waitFor();
      await viewer.context.close();

      // The admin: the viewer's role changes; the last admin cannot be demoted.
      await page.reload();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      await page.getByLabel(`Role of ${name}`).selectOption('editor');
      await page
        .getByRole('status')
        .filter({ hasText: `${name} is now editor.` })
        .waitFor();
      await page.getByLabel('Role of admin').selectOption('viewer');
      await page.getByRole('alert').filter({ hasText: 'This is the only admin' }).waitFor();
      assert.equal(
        await page.getByLabel('Role of admin').inputValue(),
        'admin',
        'the select shows the kept role',
      );
      await checkPage(page, 'users after a refusal');
      await teamScreenshot(page, `${size}-users-last-admin`);

      // Tokens as the admin: every owner's tokens, one made with the editor role and revoked.
      await goTo(page, 'API tokens');
      const adminTokens = page.getByRole('table', { name: 'Tokens' });
      await adminTokens.getByRole('columnheader', { name: 'Owner' }).waitFor();
      await adminTokens
        .getByRole('row')
        .filter({ hasText: `${name}-report` })
        .getByRole('cell', { name, exact: true })
        .waitFor();
      await page.getByRole('textbox', { name: 'Name', exact: true }).fill(`ci-${size}`);
      await page.getByLabel('Role', { exact: true }).selectOption('editor');
      await page.getByRole('button', { name: 'Make token' }).click();
      const ciToken = await page.getByTestId('new-api-token').inputValue();
      assert.match(ciToken, /^kst_/);
      await checkPage(page, 'admin tokens');
      await teamScreenshot(page, `${size}-admin-tokens`);
      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByRole('button', { name: `Revoke ci-${size}` }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `The token ci-${size} was revoked.` })
        .waitFor();
      const gone = await fetch(`${world.svc.baseUrl}/api/v1/session`, {
        headers: { authorization: `Bearer ${ciToken}` },
      });
      assert.equal(gone.status, 401);

      // Remove the invited user: their token stops working.
      await goTo(page, 'Users');
      await page.getByRole('button', { name: `Remove ${name}` }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `${name} was removed.` })
        .waitFor();
      const after = await fetch(`${world.svc.baseUrl}/api/v1/subscriptions`, {
        headers: { authorization: `Bearer ${viewerToken}` },
      });
      assert.equal(after.status, 401);
      assert.deepEqual(
        dialogs.map((d) => d.split('?')[0]),
        [`Revoke the API token ci-${size}`, `Remove ${name}`],
      );
      await checkPage(page, 'users at the end');
      assert.deepEqual([...admin.errors, ...viewer.errors], [], 'no console errors or external requests');
      await admin.context.close();
    });
  }
});
