// The whole OAuth dance against the sandbox with plain fetch: consent pages, code with PKCE, token,
// refresh rotation, scopes, revocation, app removal and expiry.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { type Client, openSandbox, REVISION } from './helpers.ts';

const REDIRECT = 'http://127.0.0.1:3999/oauth/callback';
let client: Client;
let clock = 1_800_000_000_000;

beforeEach(async () => {
  clock = 1_800_000_000_000;
  client = await openSandbox({
    now: () => clock,
    accessTokenTtlSeconds: 600,
    oauthClientId: 'app-1',
    oauthClientSecret: 'app-secret',
  });
});
afterEach(() => client.close());

const basic = (id = 'app-1', secret = 'app-secret') =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function post(path: string, form: Record<string, string>, authorization?: string) {
  return fetch(client.sandbox.url + path, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization ? { authorization } : {}),
    },
    body: new URLSearchParams(form),
  });
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Walks the consent pages like the service's test would: authorize → Continue → Allow/Deny. */
async function consent(scope: string, challenge: string, decision: 'allow' | 'deny' = 'allow'): Promise<URL> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: 'app-1',
    redirect_uri: REDIRECT,
    scope,
    state: 'st-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const first = await fetch(`${client.sandbox.url}/oauth/authorize?${query}`);
  assert.equal(first.status, 200);
  const html = await first.text();
  assert.match(html, /<button type="submit">Continue<\/button>/);
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)![1];
  const second = await post('/oauth/authorize/continue', { request_id: requestId });
  const permissions = await second.text();
  for (const each of scope.split(' ')) assert.ok(permissions.includes(`<li>${each}</li>`));
  assert.match(permissions, />Allow<\/button>/);
  assert.match(permissions, />Deny<\/button>/);
  const third = await post('/oauth/authorize/decision', { request_id: requestId, decision });
  assert.equal(third.status, 302);
  return new URL(third.headers.get('location')!);
}

async function exchange(code: string, verifier: string, authorization = basic()) {
  const response = await post(
    '/oauth/token',
    { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT },
    authorization,
  );
  return { status: response.status, body: await response.json() };
}

async function refresh(refreshToken: string) {
  const response = await post(
    '/oauth/token',
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    basic(),
  );
  return { status: response.status, body: await response.json() };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}`, revision: REVISION });

test('authorize, exchange with PKCE, call with the scopes granted, refresh with rotation', async () => {
  const { verifier, challenge } = pkce();
  const back = await consent('accounts:read profiles:read', challenge);
  assert.equal(back.origin + back.pathname, REDIRECT);
  assert.equal(back.searchParams.get('state'), 'st-1');
  const tokens = await exchange(back.searchParams.get('code')!, verifier);
  assert.equal(tokens.status, 200);
  assert.equal(tokens.body.token_type, 'Bearer');
  assert.equal(tokens.body.expires_in, 600);
  assert.equal(tokens.body.scope, 'accounts:read profiles:read');

  assert.equal(
    (await client.call('GET', '/api/profiles', undefined, bearer(tokens.body.access_token))).status,
    200,
  );
  const forbidden = await client.call(
    'POST',
    '/api/profiles',
    { data: { type: 'profile', attributes: { email: 'x@example.com' } } },
    bearer(tokens.body.access_token),
  );
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body.errors[0].code, 'permission_denied');

  const again = await exchange(back.searchParams.get('code')!, verifier);
  assert.deepEqual([again.status, again.body.error], [400, 'invalid_grant']);

  const rotated = await refresh(tokens.body.refresh_token);
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.refresh_token, tokens.body.refresh_token);
  assert.equal((await refresh(tokens.body.refresh_token)).body.error, 'invalid_grant');
  assert.equal(
    (await client.call('GET', '/api/accounts', undefined, bearer(rotated.body.access_token))).status,
    200,
  );

  clock += 601_000;
  assert.equal(
    (await client.call('GET', '/api/accounts', undefined, bearer(rotated.body.access_token))).status,
    401,
  );
});

test('a wrong code_verifier fails the challenge; bad client credentials are invalid_client', async () => {
  const { challenge } = pkce();
  const back = await consent('accounts:read', challenge);
  const code = back.searchParams.get('code')!;
  const wrongClient = await exchange(code, pkce().verifier, basic('app-1', 'nope'));
  assert.deepEqual([wrongClient.status, wrongClient.body.error], [401, 'invalid_client']);
  const failed = await exchange(code, pkce().verifier);
  assert.deepEqual(
    [failed.status, failed.body.error, failed.body.error_description],
    [400, 'invalid_grant', 'Code challenge failed.'],
  );
  const malformed = await exchange('whatever', 'short');
  assert.deepEqual([malformed.status, malformed.body.error], [400, 'invalid_request']);
  const unknown = await post('/oauth/token', { grant_type: 'password' }, basic());
  assert.equal(unknown.status, 400);
});

test('Deny redirects with access_denied; bad authorize requests are refused', async () => {
  const back = await consent('accounts:read', pkce().challenge, 'deny');
  assert.equal(back.searchParams.get('error'), 'access_denied');
  assert.equal(back.searchParams.get('state'), 'st-1');
  const base = {
    response_type: 'code',
    client_id: 'app-1',
    redirect_uri: REDIRECT,
    scope: 'accounts:read',
    state: 's',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  };
  const authorize = (overrides: Record<string, string>) =>
    fetch(`${client.sandbox.url}/oauth/authorize?${new URLSearchParams({ ...base, ...overrides })}`, {
      redirect: 'manual',
    });
  assert.equal((await authorize({ client_id: 'nope' })).status, 400);
  assert.equal((await authorize({ redirect_uri: 'https://evil.example/cb' })).status, 400);
  const plain = await authorize({ code_challenge_method: 'plain' });
  assert.equal(new URL(plain.headers.get('location')!).searchParams.get('error'), 'invalid_request');
  const scope = await authorize({ scope: 'everything:all' });
  assert.equal(new URL(scope.headers.get('location')!).searchParams.get('error'), 'invalid_scope');
});

test('removing the app install ends refreshes (invalid_grant) and access tokens (401)', async () => {
  const { verifier, challenge } = pkce();
  const tokens = await exchange(
    (await consent('accounts:read', challenge)).searchParams.get('code')!,
    verifier,
  );
  const removed = await fetch(`${client.sandbox.url}/__sandbox/apps/remove`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: 'app-1' }),
  });
  assert.equal(removed.status, 200);
  assert.equal(
    (await client.call('GET', '/api/accounts', undefined, bearer(tokens.body.access_token))).status,
    401,
  );
  const refreshed = await refresh(tokens.body.refresh_token);
  assert.deepEqual([refreshed.status, refreshed.body.error], [400, 'invalid_grant']);
});

test('revoking the refresh token uninstalls the app', async () => {
  const { verifier, challenge } = pkce();
  const tokens = await exchange(
    (await consent('accounts:read', challenge)).searchParams.get('code')!,
    verifier,
  );
  const revoked = await post(
    '/oauth/revoke',
    { token: tokens.body.refresh_token, token_type_hint: 'refresh_token' },
    basic(),
  );
  assert.equal(revoked.status, 200);
  assert.equal(client.sandbox.state.findInstall('app-1', client.sandbox.accountId), undefined);
  assert.equal((await refresh(tokens.body.refresh_token)).body.error, 'invalid_grant');
});

test('OAuth requests have their own rate-limit quota per app install', async () => {
  await client.close();
  client = await openSandbox({
    now: () => clock,
    rateLimits: true,
    oauthClientId: 'app-1',
    oauthClientSecret: 'app-secret',
  });
  const { verifier, challenge } = pkce();
  const tokens = await exchange(
    (await consent('accounts:read', challenge)).searchParams.get('code')!,
    verifier,
  );
  assert.equal((await client.call('GET', '/api/accounts')).status, 200);
  assert.equal((await client.call('GET', '/api/accounts')).status, 429);
  assert.equal(
    (await client.call('GET', '/api/accounts', undefined, bearer(tokens.body.access_token))).status,
    200,
  );
  assert.equal(
    (await client.call('GET', '/api/accounts', undefined, bearer(tokens.body.access_token))).status,
    429,
  );
});
