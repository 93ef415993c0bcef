// Browser test: the one-time setup link's form refuses two different passwords before sending them,
// then sets the password and links to the sign-in.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { createService } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { CHROMIUM, chromiumMissing, pageErrors, unlabelledControls } from './harness.ts';

test('setup page: mismatched passwords are stopped in the browser; success links to sign-in', {
  skip: chromiumMissing,
}, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-setup-e2e-'));
  let link = '';
  const service = await createService(
    loadConfig({ KLAVIYO_SYNC_PORT: '0', KLAVIYO_SYNC_DATA_DIR: dataDir, KLAVIYO_SYNC_LOG_LEVEL: 'silent' }),
    { onSetupLink: (url) => (link = url) },
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
  try {
    const base = await service.start();
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    const errors = pageErrors(page, [new URL(base).origin]);
    const posts: string[] = [];
    page.on('request', (req) => {
      if (req.method() === 'POST') posts.push(req.url());
    });
    await page.goto(`${base}/setup?${new URL(link).searchParams}`);
    await page.getByRole('heading', { name: 'Set the admin password' }).waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await page.getByLabel('Password', { exact: true }).fill('a-good-password');
    await page.getByLabel('Confirm password').fill('a-different-one');
    await page.getByRole('button', { name: 'Set the password' }).click();
    const message = await page
      .getByLabel('Confirm password')
      .evaluate((el) => (el as HTMLInputElement).validationMessage);
    assert.match(message, /do not match/);
    assert.deepEqual(posts, [], 'nothing was sent');

    await page.getByLabel('Confirm password').fill('a-good-password');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByRole('heading', { name: 'The admin password is set' }).waitFor();
    await page.getByRole('link', { name: 'Sign in to the console' }).click();
    await page.getByRole('heading', { name: 'Sign in to klaviyo-sync' }).waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
