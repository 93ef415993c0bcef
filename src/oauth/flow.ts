// The authorization-code flow with PKCE S256 (SPEC S3.2): start (state bound to subscription and user,
// 10 minutes, single use), the callback's checks and token exchange, and unlink (revoke, then delete).
import * as oauth from 'oauth4webapi';
import { AppError } from '../domain/errors.ts';
import { randomToken } from '../secrets/index.ts';
import type { ServiceContext } from '../service/context.ts';
import { testConnection } from '../subscriptions/connection.ts';
import {
  consumeOAuthState,
  deleteOAuthTokens,
  getOAuthTokens,
  replaceOAuthTokens,
  saveOAuthState,
} from '../store/repositories/oauth.ts';
import { getSubscriptionRow, updateSubscriptionRow } from '../store/repositories/subscriptions.ts';
import { oauthErrorCode, oauthProvider, tokensToStore, withTimeout } from './provider.ts';
import { markSubscriptionStatus } from '../subscriptions/status.ts';
import { requireSubscription } from '../subscriptions/lookup.ts';

export const STATE_TTL_MS = 10 * 60 * 1000;

/** Makes state and a PKCE verifier and answers the URL of Klaviyo's consent page. */
export async function startAuthorization(
  ctx: ServiceContext,
  subscriptionId: string,
  userId: string,
): Promise<string> {
  const sub = await requireSubscription(ctx, subscriptionId);
  const provider = oauthProvider(ctx, sub.api_url);
  const state = randomToken(32);
  const verifier = oauth.generateRandomCodeVerifier();
  await saveOAuthState(ctx.store.db, {
    state,
    subscriptionId,
    userId,
    codeVerifierEnc: ctx.secrets.encrypt(verifier),
    expiresAt: ctx.now() + STATE_TTL_MS,
  });
  const url = new URL(provider.authorizeUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', provider.redirectUri);
  url.searchParams.set('scope', provider.scopes.join(' '));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

export interface CallbackOutcome {
  subscriptionId: string;
  accountName: string | null;
  status: string;
  message: string | null;
}

/** Checks the callback, exchanges the code, stores the tokens and runs the connection test. */
export async function completeAuthorization(
  ctx: ServiceContext,
  params: URLSearchParams,
  userId: string | undefined,
): Promise<CallbackOutcome> {
  const stateParam = params.get('state');
  const error = params.get('error');
  if (!stateParam)
    throw new AppError(
      'OAUTH_STATE_INVALID',
      'The answer from Klaviyo has no state. Start again with Authenticate.',
    );
  const state = await consumeOAuthState(ctx.store.db, stateParam, ctx.now());
  if (!state) {
    throw new AppError(
      'OAUTH_STATE_INVALID',
      'This authorization link is unknown, used or older than 10 minutes. Start again with Authenticate.',
    );
  }
  if (!userId || userId !== state.user_id) {
    throw new AppError(
      'OAUTH_STATE_INVALID',
      'This authorization was started by another sign-in. Sign in to the console in this browser and start again.',
    );
  }
  if (error) {
    if (error === 'access_denied') {
      throw new AppError(
        'OAUTH_ACCESS_DENIED',
        'Access was not granted in Klaviyo (Deny was chosen). Click Authenticate to try again.',
      );
    }
    throw new AppError(
      'OAUTH_ACCESS_DENIED',
      `Klaviyo did not authorize the service (${error.slice(0, 60)}). Click Authenticate to try again.`,
    );
  }
  if (!params.get('code'))
    throw new AppError(
      'OAUTH_AUTHORIZATION_DATA_MISSING',
      'Authorization Data Missing: Klaviyo returned no authorization code.',
    );
  const subscriptionId = state.subscription_id;
  const sub = await getSubscriptionRow(ctx.store.db, subscriptionId);
  if (!sub) throw new AppError('NOT_FOUND', 'The subscription this authorization was for no longer exists.');
  const provider = oauthProvider(ctx, sub.api_url);

  let answer: oauth.TokenEndpointResponse;
  try {
    const checked = oauth.validateAuthResponse(provider.as, provider.client, params, stateParam);
    const response = await oauth.authorizationCodeGrantRequest(
      provider.as,
      provider.client,
      provider.clientAuth,
      checked,
      provider.redirectUri,
      ctx.secrets.decrypt(state.code_verifier_enc),
      withTimeout(provider),
    );
    answer = await oauth.processAuthorizationCodeResponse(provider.as, provider.client, response);
  } catch (err) {
    ctx.log.warn(
      { subscriptionId, oauthError: oauthErrorCode(err) ?? (err as Error).name },
      'OAuth token exchange failed',
    );
    throw new AppError(
      'OAUTH_TOKEN_EXCHANGE_FAILED',
      'Klaviyo did not accept the authorization code. Click Authenticate to try again.',
      { cause: err },
    );
  }
  const tokens = tokensToStore(ctx, answer, ctx.now());
  if (!tokens) {
    throw new AppError(
      'OAUTH_AUTHORIZATION_DATA_MISSING',
      'Authorization Data Missing: Klaviyo answered without an access and a refresh token.',
    );
  }
  await replaceOAuthTokens(ctx.store.db, subscriptionId, tokens);
  await updateSubscriptionRow(ctx.store.db, subscriptionId, { auth_method: 'oauth' });
  ctx.log.info({ subscriptionId }, 'OAuth authorization stored');
  const result = await testConnection(ctx, subscriptionId);
  return {
    subscriptionId,
    accountName: result.accountName ?? null,
    status: result.status,
    message: result.message,
  };
}

/** Revokes the refresh token at Klaviyo (best effort: the tokens go either way), then deletes them. */
export async function unlink(ctx: ServiceContext, subscriptionId: string): Promise<{ revoked: boolean }> {
  const sub = await requireSubscription(ctx, subscriptionId);
  const tokens = await getOAuthTokens(ctx.store.db, subscriptionId);
  // Answering 200 here would suggest something was disconnected; an API key is not touched by unlink.
  if (!tokens && sub.auth_method !== 'oauth') {
    throw new AppError(
      'OAUTH_NOT_LINKED',
      `Subscription ${subscriptionId} uses an API key, not OAuth, so there is nothing to unlink. To stop using the key, change the subscription's authentication or delete the subscription.`,
    );
  }
  let revoked = false;
  if (tokens) {
    try {
      const provider = oauthProvider(ctx, sub.api_url);
      const response = await oauth.revocationRequest(
        provider.as,
        provider.client,
        provider.clientAuth,
        ctx.secrets.decrypt(tokens.refresh_token_enc),
        withTimeout(provider),
      );
      await oauth.processRevocationResponse(response);
      revoked = true;
    } catch (err) {
      ctx.log.warn(
        { subscriptionId, oauthError: oauthErrorCode(err) ?? (err as Error).name },
        'revoking the refresh token failed; deleting the tokens anyway',
      );
    }
    await deleteOAuthTokens(ctx.store.db, subscriptionId);
  }
  if (sub.auth_method === 'oauth') {
    await markSubscriptionStatus(
      ctx,
      subscriptionId,
      'needs_authorization',
      'Unlinked from Klaviyo. Click Authenticate to connect again.',
      {
        accountId: null,
        accountName: null,
      },
    );
  }
  ctx.log.info({ subscriptionId, revoked }, 'OAuth unlinked');
  return { revoked };
}
