// The API-key and OAuth "must show" scenarios against the sandbox, run on SQLite and on PostgreSQL
// (connection-sqlite.test.ts, connection-postgres.test.ts).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTokenManager } from '../../src/oauth/token-manager.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { startCountingProxy, type CountingProxy } from '../helpers/counting-proxy.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

interface Browser {
  cookie: string;
  csrf: string;
}

export async function signIn(svc: TestService): Promise<Browser> {
  const res = await fetch(`${svc.baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: svc.adminPassword }),
  });
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0], csrf: (await res.json()).csrf_token };
}

function requestIdOf(html: string): string {
  const m = /name="request_id" value="([^"]+)"/.exec(html);
  assert.ok(m, 'the consent page has a request_id');
  return m[1];
}

/** Start → Klaviyo's consent page (Continue, then Allow or Deny) → the callback URL Klaviyo sends back. */
export async function consent(
  svc: TestService,
  browser: Browser,
  subscriptionId: string,
  decision: 'allow' | 'deny',
): Promise<string> {
  const start = await fetch(`${svc.baseUrl}/api/v1/subscriptions/${subscriptionId}/oauth/start`, {
    headers: { cookie: browser.cookie },
    redirect: 'manual',
  });
  assert.equal(start.status, 302);
  const authorize = new URL(start.headers.get('location') ?? '');
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.match(authorize.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.ok((authorize.searchParams.get('state') ?? '').length >= 32);
  const first = await fetch(authorize);
  assert.equal(first.status, 200);
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual' as const,
  });
  const origin = authorize.origin;
  const perms = await fetch(
    `${origin}/oauth/authorize/continue`,
    form({ request_id: requestIdOf(await first.text()) }),
  );
  const permsHtml = await perms.text();
  assert.match(permsHtml, /accounts:read/);
  const decided = await fetch(
    `${origin}/oauth/authorize/decision`,
    form({ request_id: requestIdOf(permsHtml), decision }),
  );
  assert.equal(decided.status, 302);
  return decided.headers.get('location') ?? '';
}

export async function callback(browser: Browser, url: string) {
  const res = await fetch(url, { headers: { cookie: browser.cookie } });
  return { status: res.status, html: await res.text() };
}

/** Allows access on the consent page and follows the redirect back; the authorization must succeed. */
export async function authorize(svc: TestService, browser: Browser, subscriptionId: string): Promise<void> {
  const done = await callback(browser, await consent(svc, browser, subscriptionId, 'allow'));
  assert.equal(done.status, 200, done.html);
}

export function connectionSuite(label: string, postgres: boolean) {
  describe(`subscriptions against the sandbox (${label})`, () => {
    let sandbox: Sandbox;
    let proxy: CountingProxy;
    let svc: TestService;
    let browser: Browser;
    let clockOffset = 0;
    const secretsSeen = new Set<string>();

    before(async () => {
      sandbox = await startSandbox({ port: 0, rateLimits: false });
      proxy = await startCountingProxy(sandbox.url);
      svc = await startTestService({
        postgres,
        now: () => Date.now() + clockOffset,
        env: {
          KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1',
          KLAVIYO_OAUTH_CLIENT_ID: sandbox.oauthClient.clientId,
          KLAVIYO_OAUTH_CLIENT_SECRET: sandbox.oauthClient.clientSecret,
          KLAVIYO_SYNC_LOG_LEVEL: 'debug',
        },
      });
      browser = await signIn(svc);
      secretsSeen.add(sandbox.apiKey);
      secretsSeen.add(sandbox.oauthClient.clientSecret);
    });

    after(async () => {
      await svc?.close();
      await proxy?.close();
      await sandbox?.close();
    });

    /** The id of the OAuth subscription an earlier test connects (the tests run in order). */
    async function oauthSubscriptionId(): Promise<string> {
      const list = await svc.api('GET', '/api/v1/subscriptions');
      return list.body.data.find((s: { name: string }) => s.name === 'OAuth').id;
    }

    /** Every token the sandbox issued so far (for the at-rest and log checks). */
    function collectIssuedTokens() {
      const state = sandbox.state as unknown as {
        accessTokens: Map<string, unknown>;
        refreshTokens: Map<string, unknown>;
      };
      for (const t of state.accessTokens.keys()) secretsSeen.add(t);
      for (const t of state.refreshTokens.keys()) secretsSeen.add(t);
    }

    test('an API key subscription connects and shows the account name; the key is masked', async () => {
      const res = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Key',
        api_url: sandbox.url,
        api_key: sandbox.apiKey,
      });
      assert.equal(res.status, 201);
      secretsSeen.add(res.body.webhook_api_key);
      assert.equal(res.body.status, 'connected');
      assert.equal(res.body.account_name, 'Sandbox Store');
      assert.equal(res.body.account_id, sandbox.accountId);
      assert.equal(res.body.status_message, 'Connected to Klaviyo account Sandbox Store');
      assert.equal(res.body.api_key, `••••${sandbox.apiKey.slice(-4)}`);
      assert.ok(!JSON.stringify(res.body).includes(sandbox.apiKey));
      const tested = await svc.api('POST', `/api/v1/subscriptions/${res.body.id}/test`);
      assert.equal(tested.body.status, 'connected');
    });

    test('a wrong key turns the subscription to error with a clear message and no secret', async () => {
      const wrongKey = 'pk_wrong_key_0123456789abcdef';
      secretsSeen.add(wrongKey);
      const res = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Wrong key',
        api_url: sandbox.url,
        api_key: wrongKey,
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'error');
      assert.match(res.body.status_message, /refused the API key \(401/);
      assert.ok(!res.body.status_message.includes(wrongKey));
      assert.ok(!JSON.stringify(res.body).includes(wrongKey));
      // Fixing the key reconnects.
      const fixed = await svc.api('PATCH', `/api/v1/subscriptions/${res.body.id}`, {
        api_key: sandbox.apiKey,
      });
      assert.equal(fixed.body.status, 'connected');
    });

    test('OAuth: start → consent page → callback → connected; tokens shown masked with their expiry', async () => {
      const made = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'OAuth',
        api_url: proxy.url,
        auth_method: 'oauth',
      });
      assert.equal(made.body.status, 'needs_authorization');
      const back = await consent(svc, browser, made.body.id, 'allow');
      assert.ok(back.startsWith(`${svc.baseUrl}/oauth/callback?`), back);
      secretsSeen.add(new URL(back).searchParams.get('code') ?? '');
      secretsSeen.add(new URL(back).searchParams.get('state') ?? '');
      const done = await callback(browser, back);
      assert.equal(done.status, 200, done.html);
      assert.match(done.html, /Connected to Klaviyo account <strong>Sandbox Store<\/strong>/);
      const view = (await svc.api('GET', `/api/v1/subscriptions/${made.body.id}`)).body;
      assert.equal(view.status, 'connected');
      assert.equal(view.auth_method, 'oauth');
      assert.equal(view.account_name, 'Sandbox Store');
      assert.match(view.access_token, /^••••.{4}$/);
      assert.match(view.refresh_token, /^••••.{4}$/);
      const expiresIn = Date.parse(view.access_token_expires_at) - Date.now();
      assert.ok(
        expiresIn > 3000 * 1000 && expiresIn <= 3600 * 1000,
        `expiry ${view.access_token_expires_at}`,
      );
      collectIssuedTokens();
      // The state is single use: replaying the callback is refused with a page, not a stack.
      const replay = await callback(browser, back);
      assert.equal(replay.status, 400);
      assert.match(replay.html, /unknown, used or older than 10 minutes/);
      assert.doesNotMatch(replay.html, /at .*\.ts:\d+/);
    });

    test('50 concurrent calls near expiry make exactly one refresh request', async () => {
      const id = await oauthSubscriptionId();
      const client = await svc.ctx.klaviyoFor(id);
      await client.lists.list();
      const before = proxy.count('grant:refresh_token');
      // The token now has 60 s left: inside the 5-minute margin.
      clockOffset = 3540 * 1000;
      const results = await Promise.all(Array.from({ length: 50 }, () => client.lists.list()));
      assert.equal(results.length, 50);
      assert.equal(proxy.count('grant:refresh_token') - before, 1);
      collectIssuedTokens();
      const view = (await svc.api('GET', `/api/v1/subscriptions/${id}`)).body;
      assert.ok(
        Date.parse(view.access_token_expires_at) > Date.now() + 3500 * 1000,
        'the new expiry is stored',
      );
    });

    test('two processes refreshing at once: the database lease lets exactly one refresh through', async () => {
      const id = await oauthSubscriptionId();
      const a = createTokenManager(svc.ctx, id, { owner: 'process-a' });
      const b = createTokenManager(svc.ctx, id, { owner: 'process-b' });
      const before = proxy.count('grant:refresh_token');
      clockOffset += 3540 * 1000;
      const tokens = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).getAccessToken()),
      );
      assert.equal(proxy.count('grant:refresh_token') - before, 1);
      assert.equal(new Set(tokens).size, 1, 'everyone uses the one new token');
      assert.equal(a.refreshCount + b.refreshCount, 1);
      collectIssuedTokens();
    });

    test('a 401 on a token the sandbox does not know refreshes once and retries', async () => {
      const id = await oauthSubscriptionId();
      await svc.ctx.store.db
        .updateTable('oauth_tokens')
        .set({
          access_token_enc: svc.ctx.secrets.encrypt('at_not_known_to_klaviyo'),
          generation: sql`generation + 1`,
        })
        .where('subscription_id', '=', id)
        .execute();
      const manager = createTokenManager(svc.ctx, id);
      assert.equal(await manager.getAccessToken(), 'at_not_known_to_klaviyo');
      const before = proxy.count('grant:refresh_token');
      const fresh = await manager.refreshAccessToken('at_not_known_to_klaviyo');
      assert.notEqual(fresh, 'at_not_known_to_klaviyo');
      assert.equal(proxy.count('grant:refresh_token') - before, 1);
      collectIssuedTokens();
    });

    test('a failed refresh cools down 30 s before the next try', async () => {
      const id = await oauthSubscriptionId();
      const manager = createTokenManager(svc.ctx, id);
      const realSecret = svc.ctx.config.oauthClientSecret;
      svc.ctx.config.oauthClientSecret = 'not-the-secret';
      try {
        const before = proxy.count('grant:refresh_token');
        await assert.rejects(manager.ensureFresh(true), { code: 'OAUTH_REFRESH_FAILED' });
        await assert.rejects(manager.ensureFresh(true), { code: 'OAUTH_REFRESH_FAILED' });
        assert.equal(proxy.count('grant:refresh_token') - before, 1, 'no second request during the cooldown');
        svc.ctx.config.oauthClientSecret = realSecret;
        clockOffset += 31 * 1000;
        const token = await manager.ensureFresh(true);
        assert.ok(token.length > 10);
        assert.equal(proxy.count('grant:refresh_token') - before, 2);
        const view = (await svc.api('GET', `/api/v1/subscriptions/${id}`)).body;
        assert.equal(view.status, 'connected');
      } finally {
        svc.ctx.config.oauthClientSecret = realSecret;
      }
      collectIssuedTokens();
    });

    test('app removed in Klaviyo → next refresh → authorization_revoked; authenticate again → connected', async () => {
      const id = await oauthSubscriptionId();
      const removed = await fetch(`${sandbox.url}/__sandbox/apps/remove`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: sandbox.oauthClient.clientId }),
      });
      assert.equal(removed.status, 200);
      clockOffset += 3540 * 1000;
      const client = await svc.ctx.klaviyoFor(id);
      await assert.rejects(client.lists.list(), (err: { code?: string }) => err.code === 'AUTH_REVOKED');
      const revoked = (await svc.api('GET', `/api/v1/subscriptions/${id}`)).body;
      assert.equal(revoked.status, 'authorization_revoked');
      assert.equal(revoked.status_message, 'Klaviyo access was removed — click Authenticate to reconnect');
      assert.equal(revoked.access_token, null);
      const tested = await svc.api('POST', `/api/v1/subscriptions/${id}/test`);
      assert.equal(tested.body.status, 'authorization_revoked');

      await authorize(svc, browser, id);
      const again = (await svc.api('GET', `/api/v1/subscriptions/${id}`)).body;
      assert.equal(again.status, 'connected');
      const list = await (await svc.ctx.klaviyoFor(id)).lists.list();
      assert.ok(Array.isArray(list.data));
      collectIssuedTokens();
    });

    test('callback errors show a clear page: denied, missing code, wrong user', async () => {
      const made = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Denied',
        api_url: sandbox.url,
        auth_method: 'oauth',
      });
      const denied = await callback(browser, await consent(svc, browser, made.body.id, 'deny'));
      assert.equal(denied.status, 400);
      assert.match(denied.html, /Deny was chosen/);
      const start = await svc.api('GET', `/api/v1/subscriptions/${made.body.id}/oauth/start?format=json`);
      const state = new URL(start.body.authorize_url).searchParams.get('state');
      // Started with the admin's API token, finished in a browser signed in as the admin: same user.
      const missing = await callback(browser, `${svc.baseUrl}/oauth/callback?state=${state}`);
      assert.equal(missing.status, 400);
      assert.match(missing.html, /Authorization Data Missing/);
      const start2 = await svc.api('GET', `/api/v1/subscriptions/${made.body.id}/oauth/start?format=json`);
      const state2 = new URL(start2.body.authorize_url).searchParams.get('state');
      const stranger = await callback(
        { cookie: '', csrf: '' },
        `${svc.baseUrl}/oauth/callback?state=${state2}&code=abc`,
      );
      assert.equal(stranger.status, 400);
      assert.match(stranger.html, /started by another sign-in/);
      const none = await callback(browser, `${svc.baseUrl}/oauth/callback`);
      assert.equal(none.status, 400);
      assert.equal(
        (await svc.api('GET', `/api/v1/subscriptions/${made.body.id}`)).body.status,
        'needs_authorization',
      );
    });

    test('unlink revokes the refresh token at Klaviyo, then deletes the tokens', async () => {
      const id = await oauthSubscriptionId();
      const before = proxy.count('POST /oauth/revoke');
      const res = await fetch(`${svc.baseUrl}/api/v1/subscriptions/${id}/oauth/unlink`, {
        method: 'POST',
        headers: { cookie: browser.cookie, 'x-csrf-token': browser.csrf },
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.revoked, true);
      assert.equal(body.status, 'needs_authorization');
      assert.equal(body.access_token, null);
      assert.equal(proxy.count('POST /oauth/revoke') - before, 1);
      // Authorized again, the very next call uses the new token (nothing stale kept in memory).
      const client = await svc.ctx.klaviyoFor(id);
      await authorize(svc, browser, id);
      collectIssuedTokens();
      const refused = proxy.count('GET /api/lists 401');
      await client.lists.list();
      assert.equal(proxy.count('GET /api/lists 401'), refused);
      assert.ok(proxy.count('GET /api/lists 200') > 0);
    });

    test('deleting an OAuth subscription revokes its authorization first', async () => {
      const made = await svc.api('POST', '/api/v1/subscriptions', {
        name: 'Short-lived',
        api_url: proxy.url,
        auth_method: 'oauth',
      });
      await authorize(svc, browser, made.body.id);
      collectIssuedTokens();
      const before = proxy.count('POST /oauth/revoke');
      assert.equal((await svc.api('DELETE', `/api/v1/subscriptions/${made.body.id}`)).status, 204);
      assert.equal(proxy.count('POST /oauth/revoke') - before, 1);
      assert.equal(
        await svc.ctx.store.db
          .selectFrom('oauth_tokens')
          .select('subscription_id')
          .where('subscription_id', '=', made.body.id)
          .executeTakeFirst(),
        undefined,
      );
    });

    test('/metrics counts OAuth refreshes by outcome', async () => {
      const text = await (
        await fetch(`${svc.baseUrl}/metrics`, { headers: { authorization: `Bearer ${svc.adminToken}` } })
      ).text();
      assert.match(text, /klaviyo_sync_oauth_refreshes_total\{outcome="refreshed"\} [1-9]/);
      assert.match(text, /klaviyo_sync_oauth_refreshes_total\{outcome="revoked"\} 1/);
      assert.match(text, /klaviyo_sync_oauth_refreshes_total\{outcome="failed"\} 1/);
    });

    test('the store and the logs hold no key or token in clear text', async () => {
      collectIssuedTokens();
      assert.ok(secretsSeen.size >= 6, `collected ${secretsSeen.size} secrets`);
      let haystack = svc.logs();
      assert.ok(haystack.length > 1000, 'there are logs to search');
      if (postgres) {
        for (const table of [
          'subscriptions',
          'oauth_tokens',
          'oauth_states',
          'service_settings',
          'sessions',
          'api_tokens',
          'users',
        ]) {
          const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)}`.execute(
            svc.ctx.store.db,
          );
          haystack += JSON.stringify(rows.rows);
        }
      } else {
        for (const f of readdirSync(svc.dataDir))
          haystack += readFileSync(path.join(svc.dataDir, f)).toString('latin1');
      }
      for (const secret of secretsSeen)
        assert.ok(!haystack.includes(secret), `a secret ending ${secret.slice(-4)} is in clear text`);
      assert.ok(!haystack.includes(svc.adminToken));
      assert.ok(!haystack.includes(svc.adminPassword));
    });
  });
}
