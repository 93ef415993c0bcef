// The transfer log that answers questions and the dry run, in Chromium at a laptop's 1,366 × 900 and a
// phone's 390 × 844. Each fails on a horizontal scrollbar, a console error, an unlabelled control or a
// request to another site; screenshots go to test-output/edges/.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { parseErrorDoc } from '../../src/transfer/explanations.ts';
import { PROJECT_ROOT } from '../cli/run-cli.ts';
import { transferRow } from '../helpers/transfers.ts';
import { waitFor } from '../helpers/wait.ts';
import {
  apiKeySubscription,
  chromiumMissing,
  screenshotDir,
  signedInPage,
  unlabelledControls,
  useConsoleWorld,
} from './harness.ts';

const edgesDir = path.join(screenshotDir, '../edges');
const VIEWPORTS = [
  { name: '1366', width: 1366, height: 900 },
  { name: '390', width: 390, height: 844 },
];

async function horizontalOverflow(page: Page): Promise<number> {
  const over = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest('.table-scroll, pre'))
      .map(
        (el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`,
      );
    return { by: document.documentElement.scrollWidth - width, wide: wide.slice(0, 8) };
  });
  if (over.by > 0) console.log('wider than the window:', over.wide.join(' | '));
  return over.by;
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(edgesDir, `${name}.png`), fullPage: true });
}

describe('transfer log and dry run in the browser', { skip: chromiumMissing }, () => {
  const world = useConsoleWorld();
  let subscriptionId: string;

  before(async () => {
    mkdirSync(edgesDir, { recursive: true });
    const sub = await apiKeySubscription(world, 'Edges store');
    subscriptionId = sub.id;
    for (const [id, email] of [
      ['ED-1', 'ed1@example.com'],
      ['ED-2', 'ed2@example.com'],
    ]) {
      await world.svc.api('PUT', `/api/v1/customers/${id}`, { id, email_address: email });
    }
    await waitFor('the customers to be sent', async () => {
      const page = await world.svc.api(
        'GET',
        `/api/v1/transfers?subscription=${subscriptionId}&state=succeeded`,
      );
      return page.body.data.length >= 2;
    });
    // Paused from here, so replayed transfers wait where the test can count them.
    await world.svc.api('POST', '/api/v1/transfers/pause', { subscription_id: subscriptionId });
    await world.svc.ctx.store.db
      .insertInto('transfers')
      .values([
        ...Array.from({ length: 4 }, (_, i) =>
          transferRow({
            subscription_id: subscriptionId,
            record_id: `ED-bad-${i}`,
            state: 'failed',
            tracking_id: `ed-bad-${i}`,
            error_code: 'KLAVIYO_INVALID_INPUT',
            error_message:
              "Klaviyo refused the data while creating the profile: phone_number is not valid. Correct the customer's phone number.",
          }),
        ),
        transferRow({
          subscription_id: subscriptionId,
          record_id: 'ED-slow',
          state: 'dead',
          tracking_id: 'ed-slow',
          error_code: 'KLAVIYO_TIMEOUT',
          error_message: 'Klaviyo did not answer in time while creating the profile.',
        }),
      ])
      .execute();
  });

  for (const viewport of VIEWPORTS) {
    test(`transfer log at ${viewport.width} × ${viewport.height}: search, failures by code, replay all, export, permanent link`, async () => {
      const { page, context, errors } = await signedInPage(world);
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      page.on('dialog', (dialog) => dialog.accept());
      await page.goto(`${world.svc.baseUrl}/transfers?subscription=${subscriptionId}`);
      await page.getByRole('heading', { name: 'Transfer log', level: 1 }).waitFor();
      // Failures grouped by code, with what each means.
      const groups = page.locator('.failure-groups li');
      await groups.first().waitFor();
      assert.equal(await groups.count(), 2);
      assert.match((await groups.nth(0).textContent()) ?? '', /KLAVIYO_INVALID_INPUT\s*4/);
      const explained = parseErrorDoc(readFileSync(path.join(PROJECT_ROOT, 'docs/errors.md'), 'utf8'));
      assert.ok(
        ((await groups.nth(0).textContent()) ?? '').includes(explained.get('KLAVIYO_INVALID_INPUT')!),
      );
      assert.match((await groups.nth(1).textContent()) ?? '', /KLAVIYO_TIMEOUT\s*1/);
      assert.match(
        (await page.getByTestId('match-count').textContent()) ?? '',
        /7 transfers match, 5 of them failed or dead/,
      );
      // Collection names, not ids.
      assert.ok((await page.getByRole('cell', { name: /Add Klaviyo Profile FROM hub/ }).count()) >= 1);
      assert.deepEqual(await unlabelledControls(page), []);
      assert.ok((await horizontalOverflow(page)) <= 0, `page wider than ${viewport.width} px`);
      await shot(page, `transfer-log-${viewport.name}`);

      // Search by email: only that customer's transfers.
      await page.getByRole('searchbox', { name: 'Search' }).fill('ed1@example.com');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page
        .getByTestId('match-count')
        .filter({ hasText: /^1 transfer match$/ })
        .waitFor();
      const records = await page
        .locator('tr[data-record-id]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-record-id')));
      assert.deepEqual(records, ['ED-1']);
      await page.getByRole('searchbox', { name: 'Search' }).fill('');
      await page.getByRole('button', { name: 'Apply filters' }).click();

      // "Show these" narrows to one code; the export and the replay take that filter.
      await page.getByRole('button', { name: /Show these KLAVIYO_INVALID_INPUT/ }).click();
      await page
        .getByTestId('match-count')
        .filter({ hasText: /^4 transfers match, 4 of them/ })
        .waitFor();
      const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
      assert.match(href ?? '', /export\.csv\?.*error_code=KLAVIYO_INVALID_INPUT/);
      const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href!);
      assert.equal(csv.trim().split('\r\n').length, 5, csv);
      if (viewport.name === '390') {
        await page.getByRole('button', { name: 'Replay all 4 failed' }).click();
        await page
          .getByRole('status')
          .filter({ hasText: 'Replay queued for 4 transfers of 4 that matched.' })
          .waitFor();
        await shot(page, `transfer-log-replayed-${viewport.name}`);
      }

      // A permanent link to one transfer: its own page, also when opened directly.
      await page
        .getByRole('link', { name: 'ED-slow' })
        .first()
        .click()
        .catch(async () => {
          await page.getByRole('button', { name: 'Apply filters' }).click();
        });
      await page.goto(`${world.svc.baseUrl}/transfers?subscription=${subscriptionId}&state=dead`);
      await page.getByRole('link', { name: 'ED-slow' }).click();
      await page.getByRole('heading', { name: /^Transfer \d+$/, level: 1 }).waitFor();
      const permanent = page.url();
      assert.match(permanent, /\/transfers\/\d+$/);
      await page.goto(permanent);
      await page.getByRole('heading', { name: /^Transfer \d+$/, level: 1 }).waitFor();
      await page.getByText('KLAVIYO_TIMEOUT').first().waitFor();
      assert.ok((await page.getByText('Edges store').count()) >= 1, 'the subscription by name');
      assert.deepEqual(await unlabelledControls(page), []);
      assert.ok((await horizontalOverflow(page)) <= 0, `transfer page wider than ${viewport.width} px`);
      await shot(page, `transfer-page-${viewport.name}`);
      assert.deepEqual(errors, []);
      await context.close();
    });

    test(`dry run on the manual sync page at ${viewport.width} × ${viewport.height}`, async () => {
      const { page, context, errors } = await signedInPage(world);
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      const sandboxCalls = () => world.sandbox.state.account().profiles.size;
      const profilesBefore = sandboxCalls();
      await page.goto(`${world.svc.baseUrl}/sync?subscription=${subscriptionId}`);
      await page.getByRole('heading', { name: 'Dry run', level: 2 }).waitFor();
      await page.getByLabel('Record ids').fill('ED-1\nED-2\nED-missing');
      await page.getByRole('radio', { name: /The ids above \(3\)/ }).check();
      await page.getByRole('button', { name: 'Dry run', exact: true }).click();
      await page.getByTestId('dry-update').waitFor();
      assert.equal(await page.getByTestId('dry-update').textContent(), '2');
      assert.equal(await page.getByTestId('dry-skip').textContent(), '1');
      assert.equal(await page.getByTestId('dry-create').textContent(), '0');
      await page.getByRole('cell', { name: /Not in the hub/ }).waitFor();
      assert.equal(sandboxCalls(), profilesBefore);
      assert.deepEqual(await unlabelledControls(page), []);
      assert.ok((await horizontalOverflow(page)) <= 0, `page wider than ${viewport.width} px`);
      await page.getByRole('heading', { name: 'Dry run', level: 2 }).scrollIntoViewIfNeeded();
      await shot(page, `dry-run-${viewport.name}`);
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
});
