// Klaviyo's OAuth endpoints and client settings (SPEC S3.2), as oauth4webapi wants them. With sandbox URLs
// allowed and a loopback API URL, every endpoint points at that sandbox instead.
import * as oauth from 'oauth4webapi';
import { AppError } from '../domain/errors.ts';
import { KLAVIYO_API_URL } from '../domain/subscription.ts';
import { OAUTH_SCOPES } from '../klaviyo/index.ts';
import { lastFour } from '../secrets/index.ts';
import type { ServiceContext } from '../service/context.ts';
import type { TokenWrite } from '../store/repositories/oauth.ts';

/**
 * The scopes Authenticate asks for: every scope of every operation the client calls, derived from the
 * endpoint table (src/klaviyo/endpoints.ts), so a new operation cannot be forgotten here. Asking again
 * (Authenticate on a connected subscription) asks for the whole list, so an install made before a scope
 * was added gains it. See docs/klaviyo-client.md.
 */
export const DEFAULT_OAUTH_SCOPES: readonly string[] = OAUTH_SCOPES;

/** How long Klaviyo's token endpoint may take before the refresh counts as failed. */
export const TOKEN_REQUEST_TIMEOUT_MS = 15_000;

export interface OAuthProvider {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  clientAuth: oauth.ClientAuth;
  clientId: string;
  authorizeUrl: string;
  redirectUri: string;
  scopes: readonly string[];
  /** oauth4webapi refuses http:// endpoints unless told; only the loopback sandbox is ever http. */
  requestOptions: { [oauth.allowInsecureRequests]?: boolean; signal?: AbortSignal };
}

export function oauthConfigured(ctx: ServiceContext): boolean {
  return !!(ctx.config.oauthClientId && ctx.config.oauthClientSecret);
}

export function oauthProvider(ctx: ServiceContext, apiUrl: string): OAuthProvider {
  const { oauthClientId, oauthClientSecret } = ctx.config;
  if (!oauthClientId || !oauthClientSecret) {
    throw new AppError(
      'OAUTH_NOT_CONFIGURED',
      'OAuth is not set up on this service: set KLAVIYO_OAUTH_CLIENT_ID and KLAVIYO_OAUTH_CLIENT_SECRET (from your Klaviyo app), or use an API key.',
    );
  }
  const sandbox = ctx.config.allowSandboxUrls && apiUrl !== KLAVIYO_API_URL;
  const apiBase = sandbox ? apiUrl : KLAVIYO_API_URL;
  const authorizeUrl = sandbox ? `${apiUrl}/oauth/authorize` : 'https://www.klaviyo.com/oauth/authorize';
  return {
    as: {
      issuer: apiBase,
      authorization_endpoint: authorizeUrl,
      token_endpoint: `${apiBase}/oauth/token`,
      revocation_endpoint: `${apiBase}/oauth/revoke`,
    },
    client: { client_id: oauthClientId },
    clientAuth: klaviyoClientBasic(oauthClientSecret),
    clientId: oauthClientId,
    authorizeUrl,
    redirectUri: `${ctx.config.publicUrl}/oauth/callback`,
    scopes: DEFAULT_OAUTH_SCOPES,
    requestOptions: sandbox ? { [oauth.allowInsecureRequests]: true } : {},
  };
}

/**
 * HTTP Basic client authentication as Klaviyo documents it: base64 of `client_id:client_secret` exactly as
 * issued. oauth4webapi's ClientSecretBasic form-encodes both first (RFC 6749 2.3.1), which turns the hyphen
 * of a real Klaviyo client id into `%2D` and is refused. UTF-8 bytes, as any Basic credential.
 */
export function klaviyoClientBasic(clientSecret: string): oauth.ClientAuth {
  return (_as, client, _body, headers) => {
    const credentials = Buffer.from(`${client.client_id}:${clientSecret}`, 'utf8').toString('base64');
    headers.set('authorization', `Basic ${credentials}`);
  };
}

export function withTimeout(p: OAuthProvider): OAuthProvider['requestOptions'] {
  return { ...p.requestOptions, signal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS) };
}

/** The OAuth error code of a token endpoint answer (`invalid_grant`, …), when that is what failed. */
export function oauthErrorCode(err: unknown): string | undefined {
  if (err instanceof oauth.ResponseBodyError) return err.error;
  return undefined;
}

/**
 * A token endpoint answer as it is stored: both tokens encrypted, their last four characters for display,
 * the expiry from `issuedAt`. Undefined when the answer lacks either token (the caller says why it matters).
 */
export function tokensToStore(
  ctx: ServiceContext,
  answer: oauth.TokenEndpointResponse,
  issuedAt: number,
): TokenWrite | undefined {
  const { access_token: accessToken, refresh_token: refreshToken } = answer;
  if (!accessToken || !refreshToken) return undefined;
  return {
    accessTokenEnc: ctx.secrets.encrypt(accessToken),
    refreshTokenEnc: ctx.secrets.encrypt(refreshToken),
    accessTokenLast4: lastFour(accessToken),
    refreshTokenLast4: lastFour(refreshToken),
    expiresAt: issuedAt + (answer.expires_in ?? 3600) * 1000,
    issuedAt,
    scope: answer.scope ?? null,
  };
}
