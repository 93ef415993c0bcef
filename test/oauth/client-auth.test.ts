// OAuth against Klaviyo's rules: the client authenticates to /oauth/token and /oauth/revoke with HTTP Basic
// over the raw `client_id:client_secret` (Klaviyo's OAuth guide), never form-encoded first; and the scopes
// asked at Authenticate are those of every operation the service calls, so an authorization made without
// one (privacy deletion's data-privacy:write) pauses with the scope named and Authenticate grants it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OAUTH_SCOPES } from '../../src/klaviyo/index.ts';
import { createTokenManager } from '../../src/oauth/token-manager.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';
import { authorize, signIn } from './connection-sandbox.ts';

// Characters that application/x-www-form-urlencoded changes (-._~!*'() are escaped by oauth4webapi's
// encoder, +/=% and spaces by any): real Klaviyo client ids contain hyphens.
const CLIENT_ID = "abc-123.x_y~z!*'()";
const CLIENT_SECRET = 's+c/r=e%t:!~ 9';

/** What a client that form-encodes before base64 (RFC 6749 2.3.1, not Klaviyo) would send. */
function formEncoded(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/-/g, '%2D')
    .replace(/\./g, '%2E')
    .replace(/_/g, '%5F')
    .replace(/%20/g, '+');
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('OAuth client authentication and scopes (sandbox)', () => {
  let sandbox: Sandbox;
  let svc: TestService;

  before(async () => {
    sandbox = await startSandbox({
      rateLimits: false,
      oauthClientId: CLIENT_ID,
      oauthClientSecret: CLIENT_SECRET,
    });
    svc = await startTestService({
      env: {
        KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1',
        KLAVIYO_OAUTH_CLIENT_ID: CLIENT_ID,
        KLAVIYO_OAUTH_CLIENT_SECRET: CLIENT_SECRET,
      },
    });
  });
  after(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  async function tokenCall(authorization: string) {
    const res = await fetch(`${sandbox.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'rt_unknown' }).toString(),
    });
    return { status: res.status, body: (await res.json()) as { error?: string } };
  }

  test('the sandbox refuses credentials that only match after form-decoding', async () => {
    assert.notEqual(formEncoded(CLIENT_ID), CLIENT_ID, 'the id is one that form-encoding changes');
    const encoded = await tokenCall(basic(formEncoded(CLIENT_ID), formEncoded(CLIENT_SECRET)));
    assert.equal(encoded.status, 401);
    assert.equal(encoded.body.error, 'invalid_client');
    // The raw values authenticate: the refusal is now about the (unknown) refresh token, not the client.
    const raw = await tokenCall(basic(CLIENT_ID, CLIENT_SECRET));
    assert.equal(raw.status, 400);
    assert.equal(raw.body.error, 'invalid_grant');
  });

  test('the service authorizes, refreshes and revokes with the raw client id and secret', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Raw basic',
      api_url: sandbox.url,
      auth_method: 'oauth',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.id as string;
    const browser = await signIn(svc);
    await authorize(svc, browser, id);
    assert.equal((await svc.api('GET', `/api/v1/subscriptions/${id}`)).body.status, 'connected');
    const manager = createTokenManager(svc.ctx, id);
    const before = manager.refreshCount;
    await manager.ensureFresh(true);
    assert.equal(manager.refreshCount, before + 1);
    const res = await fetch(`${svc.baseUrl}/api/v1/subscriptions/${id}/oauth/unlink`, {
      method: 'POST',
      headers: { cookie: browser.cookie, 'x-csrf-token': browser.csrf },
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).revoked, true, 'the sandbox accepted the revoke call');
    assert.equal(
      sandbox.state.findInstall(CLIENT_ID, sandbox.accountId),
      undefined,
      'the app is uninstalled',
    );
  });

  test('Authenticate asks for every scope the service’s calls need, data-privacy:write included', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Scopes',
      api_url: sandbox.url,
      auth_method: 'oauth',
    });
    const started = await svc.api('GET', `/api/v1/subscriptions/${made.body.id}/oauth/start?format=json`);
    const asked = new URL(started.body.authorize_url).searchParams.get('scope')?.split(' ') ?? [];
    assert.deepEqual(asked.sort(), [...OAUTH_SCOPES]);
    assert.ok(asked.includes('data-privacy:write'));
  });

  test('an authorization without data-privacy:write: the deletion pauses naming it; Authenticate grants it', async () => {
    const made = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Old install',
      api_url: sandbox.url,
      auth_method: 'oauth',
    });
    const id = made.body.id as string;
    const browser = await signIn(svc);
    await authorize(svc, browser, id);
    // As an install made before the service asked for the scope: its tokens lack data-privacy:write.
    const state = sandbox.state as unknown as {
      accessTokens: Map<string, { scopes: string[] }>;
      refreshTokens: Map<string, { scopes: string[] }>;
    };
    for (const map of [state.accessTokens, state.refreshTokens])
      for (const token of map.values()) token.scopes = token.scopes.filter((s) => s !== 'data-privacy:write');
    await svc.ctx.store.db
      .updateTable('oauth_tokens')
      .set({ scope: OAUTH_SCOPES.filter((s) => s !== 'data-privacy:write').join(' ') })
      .where('subscription_id', '=', id)
      .execute();
    const asked = await svc.api('POST', `/api/v1/subscriptions/${id}/privacy-deletions`, {
      email: 'forget.me@example.com',
    });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const pause = await waitFor('the pause', () =>
      svc.ctx.transfers!.engine.log.pauseOf(id).then((p) => p ?? undefined),
    );
    assert.equal(pause.code, 'AUTH_FORBIDDEN_SCOPE');
    // Named by the client from the operation's scopes and the stored grant, not only in Klaviyo's words.
    assert.match(pause.message, /lacks a needed scope \(data-privacy:write\)/);
    const waiting = await svc.api('GET', `/api/v1/transfers/${asked.body.transfer_id}`);
    assert.equal(waiting.body.state, 'queued', 'the deletion waits, it is not failed');
    await authorize(svc, browser, id);
    await waitFor('the deletion to go', async () => {
      const t = await svc.api('GET', `/api/v1/transfers/${asked.body.transfer_id}`);
      return t.body.state === 'succeeded';
    });
    assert.equal(await svc.ctx.transfers!.engine.log.pauseOf(id), null);
  });
});
