// What the mapping area does when a subscription is created: "Create Default Mappings" (SPEC S2, S5).
import type { ServiceContext } from '../service/context.ts';
import type { SubscriptionCreatedEvent } from '../subscriptions/hooks.ts';
import { createDefaultCollections } from './store.ts';

export async function createDefaultMappingsHook(
  ctx: ServiceContext,
  event: SubscriptionCreatedEvent,
): Promise<void> {
  if (event.createDefaultMappings) await createDefaultCollections(ctx.store.db, event.subscriptionId);
}
