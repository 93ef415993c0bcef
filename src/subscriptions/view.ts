// A subscription as the API answers it (SPEC S2): every secret masked to its last four characters.
import type { SubscriptionView } from '../domain/subscription.ts';
import { DEFAULT_REVISION, revisionWarning } from '../klaviyo/index.ts';
import { maskSecret } from '../secrets/index.ts';
import type { ServiceContext } from '../service/context.ts';
import { getOAuthTokens, type OAuthTokenRow } from '../store/repositories/oauth.ts';
import type { SubscriptionRow } from '../store/repositories/subscriptions.ts';
import { requireSubscription } from './lookup.ts';

export function subscriptionView(
  ctx: ServiceContext,
  row: SubscriptionRow,
  tokens: OAuthTokenRow | undefined,
): SubscriptionView {
  const webhookKey = ctx.secrets.decrypt(row.webhook_key_enc);
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    api_url: row.api_url,
    api_key: maskSecret(row.api_key_last4),
    api_revision: row.api_revision ?? DEFAULT_REVISION,
    api_revision_warning: revisionWarning(row.api_revision ?? DEFAULT_REVISION, ctx.now()),
    generate_events: row.generate_events === 1,
    throttle_limit: row.throttle_limit,
    throttle_seconds: row.throttle_seconds,
    hub_throttle_limit: row.hub_throttle_limit,
    hub_throttle_seconds: row.hub_throttle_seconds,
    concurrent_connections: row.concurrent_connections,
    webhook_api_key: maskSecret(webhookKey.slice(-4)) ?? '',
    polling_interval_minutes: row.polling_interval_minutes,
    default_phone_country: row.default_phone_country,
    create_missing_lists: row.create_missing_lists === 1,
    status: row.status as SubscriptionView['status'],
    status_message: row.status_message,
    account_id: row.account_id,
    account_name: row.account_name,
    auth_method: row.auth_method as SubscriptionView['auth_method'],
    access_token: tokens ? maskSecret(tokens.access_token_last4) : null,
    refresh_token: tokens ? maskSecret(tokens.refresh_token_last4) : null,
    access_token_expires_at: tokens ? new Date(Number(tokens.access_token_expires_at)).toISOString() : null,
    checked_at: row.checked_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The subscription's view by id; NOT_FOUND when there is none. */
export async function loadView(ctx: ServiceContext, id: string) {
  const row = await requireSubscription(ctx, id);
  return subscriptionView(ctx, row, await getOAuthTokens(ctx.store.db, id));
}
