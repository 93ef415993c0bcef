// Helpers for tests that run the whole service: subscriptions written straight into the store (the
// subscriptions API belongs to another area) and waiting for the workers.
import type { HubScope } from '../../src/domain/hub.ts';
import type { ServiceContext } from '../../src/server/context.ts';

export async function addSubscription(
  ctx: ServiceContext,
  id: string,
  options: { webhookKey?: string; flows?: Partial<Record<HubScope, boolean>>; pollingMinutes?: number } = {},
) {
  const at = new Date().toISOString();
  await ctx.store.db
    .insertInto('subscriptions')
    .values({
      id,
      name: `Subscription ${id}`,
      version: 'v1.0',
      api_url: 'https://a.klaviyo.com',
      api_key_enc: null,
      api_key_last4: null,
      api_revision: null,
      generate_events: 1,
      throttle_limit: 3500,
      throttle_seconds: 60,
      hub_throttle_limit: 6000,
      hub_throttle_seconds: 60,
      concurrent_connections: 10,
      webhook_key_enc: ctx.secrets.encrypt(options.webhookKey ?? `whk_${id}_0123456789abcdef0123456789`),
      polling_interval_minutes: options.pollingMinutes ?? 5,
      default_phone_country: null,
      create_missing_lists: 0,
      auth_method: 'api_key',
      status: 'not_connected',
      status_message: null,
      account_id: null,
      account_name: null,
      checked_at: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  for (const [scope, enabled] of Object.entries(options.flows ?? {})) {
    await ctx.store.db
      .insertInto('subscription_flows')
      .values({ subscription_id: id, scope, enabled: enabled ? 1 : 0 })
      .execute();
  }
}

/** Polls `check` until it is true (the workers run on their own timers). */
export async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
