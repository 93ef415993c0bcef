// What the console's width tests share: a signed-in page at a chosen viewport (a phone is 390 × 844, a
// laptop 1366 × 900), the check that nothing makes the page scroll sideways (and which elements stick
// out when something does), and screenshots under test-output/team/.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { type ConsoleWorld, pageErrors } from './harness.ts';

export const PHONE = { width: 390, height: 844 };
export const LAPTOP = { width: 1366, height: 900 };
export const TABLET = { width: 768, height: 1024 };

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const teamScreenshotDir = path.join(projectRoot, 'test-output/team');

export async function teamScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(teamScreenshotDir, { recursive: true });
  const file = path.join(teamScreenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Signs in through the sign-in page as `username` in a fresh context of the given size. */
export async function signInAt(
  world: ConsoleWorld,
  viewport: { width: number; height: number },
  username = 'admin',
  password = world.svc.adminPassword,
): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await world.browser.newContext({ viewport });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors = pageErrors(page, [new URL(world.svc.baseUrl).origin, new URL(world.sandbox.url).origin]);
  await page.goto(`${world.svc.baseUrl}/subscriptions`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
  return { page, context, errors };
}

/**
 * The page's width beyond the window (0 when nothing scrolls sideways) and, when there is some, the
 * elements that stick out past the window's right edge while their parent does not (the culprits).
 */
export async function sidewaysOverflow(page: Page): Promise<{ extra: number; culprits: string[] }> {
  return page.evaluate(() => {
    const extra = document.documentElement.scrollWidth - window.innerWidth;
    const culprits: string[] = [];
    if (extra > 0) {
      for (const el of document.querySelectorAll<HTMLElement>('body *')) {
        const right = el.getBoundingClientRect().right;
        if (right <= window.innerWidth + 0.5) continue;
        const parent = el.parentElement;
        const parentRight = parent ? parent.getBoundingClientRect().right : 0;
        if (parentRight > window.innerWidth + 0.5 && right <= parentRight + 0.5) continue;
        const cls =
          typeof el.className === 'string' && el.className ? `.${el.className.split(' ').join('.')}` : '';
        culprits.push(`${el.tagName.toLowerCase()}${cls} right=${Math.round(right)}`);
        if (culprits.length >= 8) break;
      }
    }
    return { extra, culprits };
  });
}

/** The page's full scroll width (for the report's figures). */
export function scrollWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}
