// Klaviyo clients per subscription (ctx.klaviyoFor): the subscription's credentials (API key or the OAuth
// token manager), revision, throttle, concurrency and rate budget key. Cached, and rebuilt when the
// subscription's settings change (its updated_at moves). Token managers live as long as the service, so
// their single-flight refresh spans every client of a subscription.
import { Agent } from 'undici';
import { connectLookup } from '../domain/addresses.ts';
import { AppError } from '../domain/errors.ts';
import {
  createKlaviyoClient,
  type KlaviyoClient,
  PostgresRateBudgetStore,
  type RateBudgetStore,
} from '../klaviyo/index.ts';
import { sha256Hex } from '../secrets/index.ts';
import type { ServiceContext } from '../service/context.ts';
import type { Store } from '../store/db.ts';
import { RATE_BUDGET_WINDOWS_TABLE } from '../store/migrations/0003_rate_budget_windows.ts';
import { checkClaim } from '../transfer/claim-guard.ts';
import { isRecordingExchanges, recordExchange } from '../transfer/exchange-steps.ts';
import { createTokenManager, type TokenManager, type TokenManagerOptions } from './token-manager.ts';
import { requireSubscription } from '../subscriptions/lookup.ts';

export interface KlaviyoClientCache {
  get(subscriptionId: string): Promise<KlaviyoClient>;
  tokenManager(subscriptionId: string): TokenManager;
  forget(subscriptionId: string): void;
}

/**
 * On PostgreSQL every process spends one shared budget per (account, tier), so N workers use one quota
 * (SPEC S7, S10), on sliding windows like the in-memory store's. The embedded store runs one process: the
 * client's default in-memory budgets suffice.
 */
export function sharedBudgetStore(store: Store): RateBudgetStore | undefined {
  const pool = store.pool;
  if (store.kind !== 'postgres' || !pool) return undefined;
  return new PostgresRateBudgetStore({ pool, table: RATE_BUDGET_WINDOWS_TABLE, schema: store.pgSchema });
}

const dispatchers = new Map<boolean, Agent>();

/**
 * The keep-alive agent Klaviyo calls go through (timeouts as the client's defaults): its lookup refuses
 * a name that resolves to a loopback or internal address, at connect time, by the same rule the API URL
 * is checked with when saved (loopback only with sandbox URLs allowed).
 */
function klaviyoDispatcher(allowLoopback: boolean): Agent {
  let agent = dispatchers.get(allowLoopback);
  if (!agent) {
    agent = new Agent({
      keepAliveTimeout: 30_000,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
      connect: {
        timeout: 10_000,
        lookup: connectLookup({
          allowLoopback,
          refuse: (host, address) =>
            new AppError(
              'API_URL_NOT_ALLOWED',
              address === undefined
                ? `${host} has no address.`
                : `${host} resolves to ${address}, a loopback or internal address; Klaviyo calls go to public addresses only.`,
            ),
        }),
      },
    });
    dispatchers.set(allowLoopback, agent);
  }
  return agent;
}

export function createKlaviyoClientCache(
  ctx: ServiceContext,
  tokenOptions: TokenManagerOptions = {},
): KlaviyoClientCache {
  const clients = new Map<string, { stamp: string; client: KlaviyoClient }>();
  const managers = new Map<string, TokenManager>();
  const budgets = sharedBudgetStore(ctx.store);

  function tokenManager(subscriptionId: string): TokenManager {
    let manager = managers.get(subscriptionId);
    if (!manager) {
      manager = createTokenManager(ctx, subscriptionId, tokenOptions);
      managers.set(subscriptionId, manager);
    }
    return manager;
  }

  return {
    async get(subscriptionId) {
      const sub = await requireSubscription(ctx, subscriptionId);
      const stamp = `${sub.updated_at}|${sub.auth_method}|${sub.account_id ?? ''}`;
      const cached = clients.get(subscriptionId);
      if (cached && cached.stamp === stamp) return cached.client;
      const common = {
        baseUrl: sub.api_url,
        // Every connection's addresses are checked like webhook receivers' (docs/security.md).
        dispatcher: klaviyoDispatcher(ctx.config.allowSandboxUrls),
        revision: sub.api_revision ?? undefined,
        throttle: { limit: sub.throttle_limit, seconds: sub.throttle_seconds },
        concurrency: sub.concurrent_connections,
        ...(budgets ? { budgets } : {}),
        // Debug transfers log their requests (SPEC S5.6); other calls build no exchange summary.
        onExchange: recordExchange,
        wantsExchange: isRecordingExchanges,
        // A worker that lost its claim on a batch sends nothing more for it (docs/transfers.md).
        beforeSend: checkClaim,
      };
      let client: KlaviyoClient;
      if (sub.auth_method === 'oauth') {
        // An OAuth app has its own quota per installed account.
        client = createKlaviyoClient({
          ...common,
          auth: { kind: 'oauth', tokens: tokenManager(subscriptionId) },
          budgetKey: `oauth:${ctx.config.oauthClientId ?? 'app'}:${sub.account_id ?? subscriptionId}`,
        });
      } else {
        if (!sub.api_key_enc) {
          throw new AppError(
            'AUTH_MISSING',
            'This subscription has no Klaviyo credentials yet: add an API key or authenticate with OAuth.',
          );
        }
        const apiKey = ctx.secrets.decrypt(sub.api_key_enc);
        // A private key shares its account's quota with every other integration of that account.
        client = createKlaviyoClient({
          ...common,
          auth: { kind: 'api_key', apiKey },
          budgetKey: `key:${sub.account_id ?? sha256Hex(apiKey).slice(0, 16)}`,
        });
      }
      clients.set(subscriptionId, { stamp, client });
      return client;
    },
    tokenManager,
    forget(subscriptionId) {
      clients.delete(subscriptionId);
      managers.delete(subscriptionId);
    },
  };
}
