// Klaviyo clients per subscription (ctx.klaviyoFor): the subscription's credentials (API key or the OAuth
// token manager), revision, throttle, concurrency and rate budget key. Cached, and rebuilt when the
// subscription's stored settings change (its updated_at moves).
import { AppError } from '../domain/errors.ts';
import { createKlaviyoClient, type KlaviyoClient } from '../klaviyo/index.ts';
import type { ServiceContext } from '../server/context.ts';
import { sha256Hex } from '../secrets/index.ts';

export interface KlaviyoClientCache {
  get(subscriptionId: string): Promise<KlaviyoClient>;
  forget(subscriptionId: string): void;
}

export function createKlaviyoClientCache(ctx: ServiceContext): KlaviyoClientCache {
  const cache = new Map<string, { stamp: string; client: KlaviyoClient }>();
  return {
    async get(subscriptionId) {
      const sub = await ctx.store.db
        .selectFrom('subscriptions')
        .selectAll()
        .where('id', '=', subscriptionId)
        .executeTakeFirst();
      if (!sub) throw new AppError('NOT_FOUND', `No subscription ${subscriptionId}.`);
      const stamp = `${sub.updated_at}|${sub.auth_method}`;
      const cached = cache.get(subscriptionId);
      if (cached && cached.stamp === stamp) return cached.client;
      if (sub.auth_method !== 'api_key' || !sub.api_key_enc) {
        throw new AppError(
          'AUTH_MISSING',
          'This subscription has no Klaviyo credentials yet: add an API key or authenticate with OAuth.',
        );
      }
      const apiKey = ctx.secrets.decrypt(sub.api_key_enc);
      const client = createKlaviyoClient({
        baseUrl: sub.api_url,
        auth: { kind: 'api_key', apiKey },
        revision: sub.api_revision ?? undefined,
        // A private key shares its account's quota with every other integration of that account.
        budgetKey: `key:${sub.account_id ?? sha256Hex(apiKey).slice(0, 16)}`,
        throttle: { limit: sub.throttle_limit, seconds: sub.throttle_seconds },
        concurrency: sub.concurrent_connections,
      });
      cache.set(subscriptionId, { stamp, client });
      return client;
    },
    forget(subscriptionId) {
      cache.delete(subscriptionId);
    },
  };
}
