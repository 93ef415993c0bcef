// Messages a new user met that said something wrong or said it badly (issue 14): a +44 number judged as
// Australian, a doubled full stop before "Retry", a pk_ key refused for not starting with pk_, and the
// OAuth Authenticate link answering raw JSON when no OAuth app is set up.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { normalizePhone } from '../../src/flows/shared/phone.ts';
import { toE164 } from '../../src/mapping/helpers.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { startFlowEnv } from './helpers.ts';

test("a number with its own country code is judged by that country, not the record's", () => {
  const mapped = toE164('+44 20 7946 01', 'AU', 'US');
  assert.equal(mapped.number, null);
  assert.doesNotMatch(mapped.warning ?? '', /\bAU\b|\bUS\b/);
  assert.match(mapped.warning ?? '', /GB|United Kingdom/);
  assert.match(mapped.warning ?? '', /\+44/);
  // Valid with its own code, whatever the record says.
  assert.equal(toE164('+44 20 7946 0018', 'AU').number, '+442079460018');
  assert.equal(toE164('0044 20 7946 0018', 'AU').number, '+442079460018');
  const flow = normalizePhone('+44 20 7946 01', { recordCountry: 'AU', defaultCountry: 'US' });
  assert.equal(flow.ok, false);
  assert.match(flow.ok ? '' : flow.reason, /GB|United Kingdom/);
  assert.doesNotMatch(flow.ok ? '' : flow.reason, /\bAU\b/);
  // A local number still names the countries it was tried with.
  const local = toE164('12', 'AU');
  assert.match(local.warning ?? '', /AU/);
});

test('a failed step reads as sentences: no doubled full stop before "Retry"', async () => {
  const env = await startFlowEnv();
  try {
    for (const operation of [
      'create_profile',
      'create_or_update_profile',
      'update_profile',
      'get_profiles',
    ]) {
      await fetch(`${env.sandbox.url}/__sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ operation, errorRate: 1, status: 503 }),
      });
    }
    await env.hub.upsert('customer', { id: 'dots-1', email_address: 'dots@example.com' });
    await env.drain();
    const [transfer] = await env.transfers('dots-1');
    assert.ok(transfer, 'a transfer was made');
    const steps = await env.steps(transfer.id);
    const error = steps.find((s) => s.level === 'error');
    assert.ok(error, JSON.stringify(steps));
    assert.match(error.message, /KLAVIYO_UNAVAILABLE/);
    assert.doesNotMatch(error.message, /\.\./, error.message);
    assert.match(error.message, /\. Retry 2 of/);
  } finally {
    await env.close();
  }
});

describe('subscription settings and OAuth answers', () => {
  let svc: TestService;
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox({ port: 0 });
    svc = await startTestService({ env: { KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1' } });
  });
  after(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  test('a key that starts with pk_ but is too short is refused for what is wrong with it', async () => {
    const res = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Bogus key',
      api_url: sandbox.url,
      api_key: 'pk_bogus',
    });
    assert.equal(res.status, 400);
    const message: string = res.body.error.message;
    assert.doesNotMatch(message, /it starts with pk_\)/);
    assert.match(message, /too short/);
    const wrongPrefix = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Public key',
      api_url: sandbox.url,
      api_key: 'Xk_abcdefabcdef',
    });
    assert.equal(wrongPrefix.status, 400);
    assert.match(wrongPrefix.body.error.message, /starts with pk_/);
  });

  test('Authenticate with no OAuth app set up answers a page saying what to set up, not raw JSON', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'No OAuth app',
      api_url: sandbox.url,
      api_key: sandbox.apiKey,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const url = `${svc.baseUrl}/api/v1/subscriptions/${made.body.id}/oauth/start`;
    // As a browser follows the link: it asks for HTML.
    const page = await fetch(url, {
      headers: {
        authorization: `Bearer ${svc.adminToken}`,
        accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
      },
      redirect: 'manual',
    });
    assert.equal(page.status, 400);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /<h1>OAuth is not set up<\/h1>/);
    assert.match(html, /KLAVIYO_OAUTH_CLIENT_ID/);
    assert.match(html, /KLAVIYO_OAUTH_CLIENT_SECRET/);
    assert.match(html, new RegExp(`href="/subscriptions/${made.body.id}"`));
    // A script asking for JSON still gets the error object.
    const json = await fetch(url, {
      headers: { authorization: `Bearer ${svc.adminToken}`, accept: 'application/json' },
    });
    assert.equal(json.status, 400);
    assert.equal((await json.json()).error.code, 'OAUTH_NOT_CONFIGURED');
  });
});
