// The OAuth token manager (SPEC S3.2): what the Klaviyo client's TokenProvider calls. It refreshes ahead
// of expiry and after a 401, one refresh at a time per subscription: within the process through a shared
// promise, across processes through a lease on the tokens row (one atomic UPDATE, on SQLite and
// PostgreSQL alike), re-reading the tokens once the lease is held. The rotated refresh token is stored in
// the same statement as the new access token, before that token is used. A failed refresh (other than
// invalid_grant) blocks new attempts for 30 s; invalid_grant means Klaviyo removed the app.
import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { Counter } from 'prom-client';
import { AppError } from '../domain/errors.ts';
import type { TokenProvider } from '../klaviyo/index.ts';
import type { ServiceContext } from '../service/context.ts';
import {
  acquireRefreshLease,
  deleteOAuthTokens,
  getOAuthTokens,
  type OAuthTokenRow,
  releaseRefreshLease,
  storeRefreshedTokens,
} from '../store/repositories/oauth.ts';
import { getSubscriptionRow } from '../store/repositories/subscriptions.ts';
import { oauthErrorCode, oauthProvider, tokensToStore, withTimeout } from './provider.ts';
import { markSubscriptionStatus } from '../subscriptions/status.ts';
import { requireSubscription } from '../subscriptions/lookup.ts';

export const REFRESH_MARGIN_MS = 5 * 60 * 1000;
export const REFRESH_COOLDOWN_MS = 30 * 1000;
const LEASE_MS = 60 * 1000;
const LEASE_POLL_MS = 50;

export const REVOKED_MESSAGE = 'Klaviyo access was removed — click Authenticate to reconnect';

export interface TokenManagerOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Identifies this holder of the refresh lease (default: random per manager). */
  owner?: string;
}

export interface TokenManager extends TokenProvider {
  /** Refreshes now if the token is within the margin (or forced); answers the usable access token. */
  ensureFresh(force?: boolean): Promise<string>;
  /** Refresh requests this manager sent to Klaviyo (for tests and metrics). */
  readonly refreshCount: number;
}

/** The margin before expiry at which a token is refreshed: 5 minutes, less for very short-lived tokens. */
function marginFor(row: OAuthTokenRow): number {
  const issuedAt = Date.parse(row.updated_at);
  const lifetime = Number(row.access_token_expires_at) - (Number.isFinite(issuedAt) ? issuedAt : 0);
  return Math.max(0, Math.min(REFRESH_MARGIN_MS, lifetime / 2));
}

function refreshCounter(ctx: ServiceContext): Counter<'outcome'> {
  const name = 'klaviyo_sync_oauth_refreshes_total';
  return (
    (ctx.metrics.getSingleMetric(name) as Counter<'outcome'> | undefined) ??
    new Counter({
      name,
      help: 'OAuth refresh requests sent to Klaviyo, by outcome',
      labelNames: ['outcome'],
      registers: [ctx.metrics],
    })
  );
}

export function createTokenManager(
  ctx: ServiceContext,
  subscriptionId: string,
  options: TokenManagerOptions = {},
): TokenManager {
  const now = options.now ?? ctx.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const owner = options.owner ?? `${process.pid}:${randomUUID()}`;
  // The row is read on every call, so a token replaced or deleted by another process or request (a new
  // authorization, unlink) is never used from memory; only the decryption is cached.
  let cached: { enc: string; token: string } | undefined;
  let inflight: Promise<string> | undefined;
  let refreshCount = 0;
  const refreshes = refreshCounter(ctx);

  async function readTokens(): Promise<OAuthTokenRow> {
    const row = await getOAuthTokens(ctx.store.db, subscriptionId);
    if (row) return row;
    const sub = await getSubscriptionRow(ctx.store.db, subscriptionId);
    if (sub?.status === 'authorization_revoked') throw new AppError('AUTH_REVOKED', REVOKED_MESSAGE);
    throw new AppError(
      'AUTH_MISSING',
      'This subscription is not authorized with Klaviyo yet: click Authenticate.',
    );
  }

  /** Decrypts the row's access token once per stored value (each encryption of a token is unique). */
  function remember(row: OAuthTokenRow): string {
    if (cached?.enc === row.access_token_enc) return cached.token;
    const token = ctx.secrets.decrypt(row.access_token_enc);
    cached = { enc: row.access_token_enc, token };
    return token;
  }

  const isFresh = (row: OAuthTokenRow) => Number(row.access_token_expires_at) - marginFor(row) > now();

  /** One refresh round, run by at most one caller per process at a time. `stale` is the generation seen as too old. */
  async function refreshOnce(staleGeneration: number, force: boolean): Promise<string> {
    for (;;) {
      const row = await readTokens();
      if (row.generation !== staleGeneration && isFresh(row)) return remember(row);
      const blockedUntil = Number(row.refresh_blocked_until ?? 0);
      if (blockedUntil > now()) {
        // Cooling down after a failure: a still-valid token is better than none.
        if (!force && Number(row.access_token_expires_at) > now()) return remember(row);
        throw new AppError(
          'OAUTH_REFRESH_FAILED',
          'Refreshing the Klaviyo access token failed moments ago; it will be tried again shortly.',
          {
            details: { retry_after_ms: blockedUntil - now() },
          },
        );
      }
      if (!(await acquireRefreshLease(ctx.store.db, subscriptionId, owner, now(), LEASE_MS))) {
        // Another process is refreshing; its result will show up as a new generation.
        await sleep(LEASE_POLL_MS);
        continue;
      }
      // Re-read under the lease: the holder before us may have refreshed already.
      const locked = await readTokens();
      if (locked.generation !== staleGeneration && isFresh(locked)) {
        await releaseRefreshLease(ctx.store.db, subscriptionId, owner);
        return remember(locked);
      }
      return exchange(locked);
    }
  }

  async function exchange(row: OAuthTokenRow): Promise<string> {
    const sub = await requireSubscription(ctx, subscriptionId);
    const provider = oauthProvider(ctx, sub.api_url);
    let answer: oauth.TokenEndpointResponse;
    try {
      refreshCount++;
      const response = await oauth.refreshTokenGrantRequest(
        provider.as,
        provider.client,
        provider.clientAuth,
        ctx.secrets.decrypt(row.refresh_token_enc),
        withTimeout(provider),
      );
      answer = await oauth.processRefreshTokenResponse(provider.as, provider.client, response);
    } catch (err) {
      const code = oauthErrorCode(err);
      const revokedGrant = code === 'invalid_grant' || code === 'invalid_grant_type';
      refreshes.inc({ outcome: revokedGrant ? 'revoked' : 'failed' });
      if (revokedGrant) {
        await deleteOAuthTokens(ctx.store.db, subscriptionId);
        cached = undefined;
        await markSubscriptionStatus(ctx, subscriptionId, 'authorization_revoked', REVOKED_MESSAGE);
        ctx.log.warn(
          { subscriptionId, oauthError: code },
          'Klaviyo refused the refresh token: authorization revoked',
        );
        throw new AppError('AUTH_REVOKED', REVOKED_MESSAGE);
      }
      await releaseRefreshLease(ctx.store.db, subscriptionId, owner, now() + REFRESH_COOLDOWN_MS);
      ctx.log.error(
        { subscriptionId, oauthError: code ?? (err as Error).name },
        'refreshing the Klaviyo access token failed',
      );
      throw new AppError(
        'OAUTH_REFRESH_FAILED',
        'Refreshing the Klaviyo access token failed; it will be tried again in 30 seconds.',
        { cause: err },
      );
    }
    const tokens = tokensToStore(ctx, answer, now());
    if (!tokens) {
      await releaseRefreshLease(ctx.store.db, subscriptionId, owner, now() + REFRESH_COOLDOWN_MS);
      throw new AppError(
        'OAUTH_AUTHORIZATION_DATA_MISSING',
        'Authorization Data Missing: Klaviyo answered the refresh without the expected tokens.',
      );
    }
    refreshes.inc({ outcome: 'refreshed' });
    const { expiresAt } = tokens;
    const stored = await storeRefreshedTokens(ctx.store.db, subscriptionId, row.generation, {
      ...tokens,
      scope: tokens.scope ?? row.scope,
    });
    if (!stored) {
      // The tokens were replaced meanwhile (a new authorization); those win.
      await releaseRefreshLease(ctx.store.db, subscriptionId, owner);
      return remember(await readTokens());
    }
    ctx.log.info(
      { subscriptionId, expiresAt: new Date(expiresAt).toISOString() },
      'Klaviyo access token refreshed',
    );
    return remember(await readTokens());
  }

  function singleFlight(staleGeneration: number, force: boolean): Promise<string> {
    if (!inflight) {
      inflight = refreshOnce(staleGeneration, force).finally(() => {
        inflight = undefined;
      });
    }
    return inflight;
  }

  async function ensureFresh(force = false): Promise<string> {
    const row = await readTokens();
    if (!force && isFresh(row)) return remember(row);
    return singleFlight(row.generation, force);
  }

  return {
    getAccessToken: () => ensureFresh(false),
    async refreshAccessToken(rejectedToken: string) {
      const row = await readTokens();
      const current = ctx.secrets.decrypt(row.access_token_enc);
      // Someone already replaced the token that was refused: use theirs.
      if (current !== rejectedToken && Number(row.access_token_expires_at) > now()) return remember(row);
      return singleFlight(row.generation, true);
    },
    async grantedScopes() {
      // Klaviyo's token answer lists the granted scopes (space-separated); older rows may not have them.
      const row = await getOAuthTokens(ctx.store.db, subscriptionId);
      const scopes = row?.scope?.split(/\s+/).filter(Boolean);
      return scopes && scopes.length > 0 ? scopes : undefined;
    },
    ensureFresh,
    get refreshCount() {
      return refreshCount;
    },
  };
}
