// Status changes of a subscription that other areas react to (e.g. the transfer engine resumes a paused
// subscription when it is connected again).
import type { SubscriptionStatus } from '../domain/subscription.ts';
import type { ServiceContext } from '../service/context.ts';
import { subscriptionStatusHooks } from './hooks.ts';
import { getSubscriptionRow, setSubscriptionStatus } from '../store/repositories/subscriptions.ts';

export async function markSubscriptionStatus(
  ctx: ServiceContext,
  subscriptionId: string,
  status: SubscriptionStatus,
  message: string | null,
  account?: { accountId: string | null; accountName: string | null },
): Promise<void> {
  const before = await getSubscriptionRow(ctx.store.db, subscriptionId);
  await setSubscriptionStatus(ctx.store.db, subscriptionId, { status, message, ...account });
  if (before && before.status !== status) {
    for (const hook of subscriptionStatusHooks) {
      try {
        await hook(ctx, { subscriptionId, status, previous: before.status as SubscriptionStatus });
      } catch (err) {
        ctx.log.error({ err, subscriptionId }, 'a subscription status hook failed');
      }
    }
  }
}
