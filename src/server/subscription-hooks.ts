// What other areas do when a subscription is made or removed, handed to the subscription routes
// (src/subscriptions/routes.ts) by the HTTP app. Each area adds one line to these lists.
import { createDefaultMappingsHook } from '../mapping/hooks.ts';
import type { SubscriptionCreatedHook, SubscriptionDeletedHook } from '../subscriptions/hooks.ts';
import { forgetDeletedSubscription } from '../transfer/service.ts';

export const subscriptionCreatedHooks: SubscriptionCreatedHook[] = [createDefaultMappingsHook];
export const subscriptionDeletedHooks: SubscriptionDeletedHook[] = [forgetDeletedSubscription];
