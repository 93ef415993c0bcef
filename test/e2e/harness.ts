// What the console's browser tests share: Debian's Chromium through playwright-core, the whole service
// wired to a Klaviyo sandbox, signing in through the page, and screenshots under test-output/console/.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ensureWebBuilt } from '../../scripts/build-web.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumMissing = existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM}`;

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshotDir = path.join(projectRoot, 'test-output/console');

export interface ConsoleWorld {
  browser: Browser;
  sandbox: Sandbox;
  svc: TestService;
  close(): Promise<void>;
}

export async function startConsoleWorld(): Promise<ConsoleWorld> {
  await ensureWebBuilt();
  mkdirSync(screenshotDir, { recursive: true });
  const sandbox = await startSandbox({ port: 0 });
  const svc = await startTestService({
    env: {
      KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1',
      KLAVIYO_OAUTH_CLIENT_ID: sandbox.oauthClient.clientId,
      KLAVIYO_OAUTH_CLIENT_SECRET: sandbox.oauthClient.clientSecret,
      KLAVIYO_SYNC_LOG_LEVEL: 'warn',
    },
  });
  // The public URL decides the OAuth redirect; the test service listens on a port of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    browser,
    sandbox,
    svc,
    async close() {
      await browser.close();
      await svc.close();
      await sandbox.close();
    },
  };
}

/**
 * Starts one console world for the enclosing describe and closes it after: call it inside `describe`.
 * The object is filled in by the `before` hook, so tests read it as they would the world itself.
 */
export function useConsoleWorld(): ConsoleWorld {
  const world = {} as ConsoleWorld;
  before(async () => {
    Object.assign(world, await startConsoleWorld());
  });
  after(async () => {
    // Absent when the start failed: there is nothing to close then.
    await world.close?.();
  });
  return world;
}

/**
 * Script errors and console errors of a page (a CSP refusal, a React warning, an exception). Failed
 * fetches are left out: the console asks the API and shows its 4xx answers on purpose.
 */
export function pageErrors(page: Page, allowedOrigins: string[] = []): string[] {
  const errors: string[] = [];
  // The console loads nothing from other sites (fonts, scripts, CDNs); only the service and, during
  // OAuth, the sandbox's consent page are visited.
  page.on('request', (req) => {
    const origin = new URL(req.url()).origin;
    if (allowedOrigins.length && !allowedOrigins.includes(origin) && !req.url().startsWith('data:')) {
      errors.push(`external request: ${req.url()}`);
    }
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (/Failed to load resource/.test(msg.text())) return;
    errors.push(`console: ${msg.text()}`);
  });
  return errors;
}

/** A fresh browser context (its own cookies), signed in through the sign-in page. */
export async function signedInPage(
  world: ConsoleWorld,
): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await world.browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Generous: CI runs these next to every other test on two cores.
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors = pageErrors(page, [new URL(world.svc.baseUrl).origin, new URL(world.sandbox.url).origin]);
  await page.goto(`${world.svc.baseUrl}/subscriptions`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(world.svc.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
  return { page, context, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Form controls on the page that have no accessible name (label, aria-label or aria-labelledby). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('input, select, textarea, button')) {
      if ((el as HTMLInputElement).type === 'hidden') continue;
      const labelled =
        ((el as HTMLInputElement).labels?.length ?? 0) > 0 ||
        el.getAttribute('aria-label') ||
        el.getAttribute('aria-labelledby') ||
        (el.tagName === 'BUTTON' && el.textContent?.trim());
      if (!labelled) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
}

/** Creates an API-key subscription against the sandbox through the API (for tests about other screens). */
export async function apiKeySubscription(world: ConsoleWorld, name: string): Promise<{ id: string }> {
  const res = await world.svc.api('POST', '/api/v1/subscriptions', {
    name,
    api_url: world.sandbox.url,
    api_key: world.sandbox.apiKey,
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`subscription not made: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data ?? res.body;
}
