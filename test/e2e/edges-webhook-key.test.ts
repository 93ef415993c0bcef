// The one-time webhook key, right after a subscription is made, is shown at the top of its page with the
// focus on it, not at the bottom of a page 2,100 px long where people never scroll before leaving.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { chromiumMissing, screenshotDir, signedInPage, useConsoleWorld } from './harness.ts';

const edgesDir = path.join(screenshotDir, '../edges');

describe('one-time webhook key', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();

  test('after creating a subscription the webhook key is in view, focused and selected', async () => {
    mkdirSync(edgesDir, { recursive: true });
    const { page, context, errors } = await signedInPage(world);
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.getByRole('link', { name: 'New subscription' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Key in view');
    await page.getByLabel('API URL').fill(world.sandbox.url);
    await page.getByRole('textbox', { name: 'API Key', exact: true }).fill(world.sandbox.apiKey);
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await page.getByRole('heading', { name: 'Key in view', level: 1 }).waitFor();
    const field = page.getByLabel(/Webhook API Key — copy it now/);
    await field.waitFor();
    const box = await field.boundingBox();
    const scrollY = await page.evaluate(() => window.scrollY);
    assert.ok(box, 'the key field is rendered');
    // Visible without scrolling: in the first screen of the page.
    assert.ok(
      box.y + scrollY + box.height <= 900,
      `the key is ${Math.round(box.y + scrollY)} px down the page`,
    );
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'fresh-webhook-key');
    const selected = await page.evaluate(() => {
      const el = document.activeElement as HTMLInputElement;
      return el.value.slice(el.selectionStart ?? 0, el.selectionEnd ?? 0);
    });
    assert.ok(selected.length >= 32, 'the whole key is selected for copying');
    await page.screenshot({ path: path.join(edgesDir, 'webhook-key-1366.png') });
    assert.deepEqual(errors, []);
    await context.close();
  });
});
