// Klaviyo's official Node SDK with OAuth against the sandbox: the SDK builds the authorize URL and exchanges the
// code itself (HTTP Basic client credentials, PKCE), then calls the API with Bearer tokens through its
// OAuthSession (which refreshes them) and OAuthBasicSession.
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import {
  AccountsApi,
  type CreatedTokens,
  DataPrivacyApi,
  OAuthBasicSession,
  OAuthSession,
  Pkce,
  ProfileEnum,
  ProfilesApi,
  type RetrievedTokens,
} from 'klaviyo-api';
import {
  at,
  consent,
  klaviyoError,
  noRetries,
  openSdkSandbox,
  SandboxOAuthApi,
  type SdkSandbox,
} from './helpers.ts';

const REDIRECT = 'http://127.0.0.1:3999/oauth/callback';
const CUSTOMER = 'merchant-1';
let env: SdkSandbox | undefined;
let checked = 0;
afterEach(async () => {
  checked += env?.checked.count ?? 0;
  await env?.close();
});
after(() => console.log(`# SDK answers checked against stable.json: ${checked}`));

class MemoryTokens {
  readonly saved: CreatedTokens[] = [];
  retrieve(_customer: string): RetrievedTokens {
    const last = this.saved.at(-1);
    assert.ok(last, 'tokens were saved before use');
    return last;
  }
  save(_customer: string, tokens: CreatedTokens): void {
    this.saved.push(tokens);
  }
}

async function authorize(scopes: string, ttlSeconds?: number) {
  env = await openSdkSandbox({
    oauthClientId: 'sdk-app-1',
    oauthClientSecret: 'sdk-secret',
    ...(ttlSeconds ? { accessTokenTtlSeconds: ttlSeconds } : {}),
  });
  const storage = new MemoryTokens();
  const oauth = new SandboxOAuthApi(env.sandbox, storage);
  const { codeVerifier, codeChallenge } = Pkce.generateCodes();
  const url = oauth.generateAuthorizeUrl('state-1', scopes, codeChallenge, REDIRECT);
  assert.ok(url.startsWith(`${env.sandbox.url}/oauth/authorize?`));
  const { code, state } = await consent(url);
  assert.equal(state, 'state-1');
  const tokens = await oauth.createTokens(CUSTOMER, codeVerifier, code, REDIRECT);
  assert.ok(tokens.accessToken && tokens.refreshToken);
  assert.ok(tokens.expiresAt.getTime() > Date.now());
  return { sandbox: env.sandbox, oauth, storage, tokens };
}

test('OAuth: tokens from the SDK’s own exchange call the API as Bearer, within the granted scopes', async () => {
  const { sandbox, oauth, tokens } = await authorize('accounts:read profiles:read profiles:write');
  const session = new OAuthSession(CUSTOMER, oauth, noRetries());
  const profiles = at(sandbox, new ProfilesApi(session));
  const created = await profiles.createProfile({
    data: { type: ProfileEnum.Profile, attributes: { email: 'oauth@example.com' } },
  });
  assert.equal(created.response.status, 201);
  assert.equal(created.response.config.headers.Authorization, `Bearer ${tokens.accessToken}`);
  const listed = await profiles.getProfiles({ filter: 'equals(email,"oauth@example.com")' });
  assert.equal(listed.body.data[0].id, created.body.data.id);
  const accounts = await at(sandbox, new AccountsApi(session)).getAccounts();
  assert.equal(accounts.body.data[0].id, sandbox.accountId);

  // A scope that was not granted is Klaviyo's 403, which the SDK passes on (no refresh, no retry).
  const privacy = at(sandbox, new DataPrivacyApi(session));
  await assert.rejects(
    privacy.requestProfileDeletion({
      data: {
        type: 'data-privacy-deletion-job',
        attributes: {
          profile: { data: { type: ProfileEnum.Profile, attributes: { email: 'oauth@example.com' } } },
        },
      },
    }),
    (error) => {
      assert.equal(klaviyoError(error).status, 403);
      return true;
    },
  );

  // The same access token through the SDK's basic Bearer session.
  const basic = at(sandbox, new ProfilesApi(new OAuthBasicSession(tokens.accessToken, noRetries())));
  const read = await basic.getProfile(created.body.data.id!);
  assert.equal(read.body.data.attributes.email, 'oauth@example.com');
});

test('OAuth: the SDK refreshes a token about to expire, and the rotated refresh token keeps working', async () => {
  // Tokens that live 20 s: the SDK refreshes any token within 30 s of its expiry before each call.
  const { sandbox, oauth, storage } = await authorize('profiles:read profiles:write', 20);
  const session = new OAuthSession(CUSTOMER, oauth, noRetries());
  const profiles = at(sandbox, new ProfilesApi(session));
  await profiles.createProfile({
    data: { type: ProfileEnum.Profile, attributes: { email: 'r1@example.com' } },
  });
  await profiles.createProfile({
    data: { type: ProfileEnum.Profile, attributes: { email: 'r2@example.com' } },
  });
  assert.equal(storage.saved.length, 3, 'the first exchange and one refresh per call');
  const refreshTokens = new Set(storage.saved.map((saved) => saved.refreshToken));
  assert.equal(refreshTokens.size, 3, 'each refresh rotates the refresh token');
  assert.equal(sandbox.state.account().profiles.size, 2);
});
