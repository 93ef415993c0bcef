// Helpers for tests that run the whole service: subscriptions written straight into the store (the
// subscriptions API belongs to another area) and waiting for the workers.
import type { HubScope } from '../../src/domain/hub.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { addSubscriptionRows } from '../helpers/subscriptions.ts';

export async function addSubscription(
  ctx: ServiceContext,
  id: string,
  options: { webhookKey?: string; flows?: Partial<Record<HubScope, boolean>>; pollingMinutes?: number } = {},
) {
  await addSubscriptionRows(ctx.store.db, {
    id,
    name: `Subscription ${id}`,
    webhook_key_enc: ctx.secrets.encrypt(options.webhookKey ?? `whk_${id}_0123456789abcdef0123456789`),
    polling_interval_minutes: options.pollingMinutes ?? 5,
  });
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
