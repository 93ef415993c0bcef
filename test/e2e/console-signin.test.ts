// Browser test: signing in to the console, by mouse and by keyboard alone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chromiumMissing, screenshot, signedInPage, useConsoleWorld, unlabelledControls } from './harness.ts';

describe('console sign-in', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  test('a wrong password is refused on the page, the right one opens the subscriptions', async () => {
    const context = await world.browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    await page.goto(`${world.svc.baseUrl}/`);
    await page.getByRole('heading', { name: 'Sign in to klaviyo-sync' }).waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    // A sentence for a person, not the API's code.
    assert.equal((await page.getByRole('alert').textContent())?.trim(), 'Wrong username or password.');
    await screenshot(page, '01-signin-refused');
    await page.getByLabel('Password').fill(world.svc.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/subscriptions');
    await screenshot(page, '02-subscriptions-empty');
    // A refresh keeps the session (cookie) and the page.
    await page.reload();
    await page.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
    await context.close();
  });

  test('the console is usable by keyboard alone: sign in and move through the navigation', async () => {
    const context = await world.browser.newContext();
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    await page.goto(`${world.svc.baseUrl}/dashboard`);
    await page.getByRole('heading', { name: 'Sign in to klaviyo-sync' }).waitFor();
    // The password field has focus; the username is filled in with admin.
    await page.keyboard.type(world.svc.adminPassword);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    // Tab to the skip link, then through the navigation to "Transfer log" and open it with Enter.
    let reached = '';
    for (let i = 0; i < 12 && reached !== 'Transfer log'; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    }
    assert.equal(reached, 'Transfer log');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused link shows a focus outline');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Transfer log', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/transfers');
    assert.deepEqual(await unlabelledControls(page), []);
    await context.close();
  });

  test('when the session ends the console says so and shows the sign-in page', async () => {
    const { page, context, errors } = await signedInPage(world);
    // Ends every session on the service side, as expiry or a sign-out elsewhere would.
    await world.svc.ctx.store.db.deleteFrom('sessions').execute();
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Sign in to klaviyo-sync' }).waitFor();
    assert.equal(
      (await page.getByRole('status').textContent())?.trim(),
      'Your session expired: sign in again.',
    );
    await screenshot(page, '03-session-expired');
    await page.getByLabel('Password').fill(world.svc.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    assert.equal(await page.getByText('Your session expired').count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('an unknown page shows "Page not found" with a link home; the favicon loads; API paths stay JSON', async () => {
    const { page, context, errors } = await signedInPage(world);
    const favicons: number[] = [];
    page.on('response', (res) => {
      if (new URL(res.url()).pathname.startsWith('/favicon')) favicons.push(res.status());
    });
    await page.goto(`${world.svc.baseUrl}/nope-page`);
    await page.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
    await page.waitForFunction(() =>
      performance.getEntriesByType('resource').some((e) => e.name.includes('/favicon')),
    );
    assert.ok(favicons.length > 0 && favicons.every((s) => s === 200), `favicon answers ${favicons}`);
    await page.getByRole('link', { name: 'Go to the subscriptions' }).click();
    await page.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
    assert.deepEqual(errors, []);
    await context.close();

    const api = await fetch(`${world.svc.baseUrl}/api/v1/nope-page`);
    assert.equal(api.status, 404);
    assert.equal((await api.json()).error.code, 'NOT_FOUND');
    const ico = await fetch(`${world.svc.baseUrl}/favicon.ico`);
    assert.equal(ico.status, 200);
    assert.equal(ico.headers.get('content-type'), 'image/svg+xml');
  });
});
