// Helpers for tests that run the whole service: subscriptions written straight into the store (the
// subscriptions API belongs to another area). Waiting is test/helpers/wait.ts's waitFor.
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
