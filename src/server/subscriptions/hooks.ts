// What other areas do when a subscription is made or removed (e.g. the mapping area creates the default
// collections when `create_default_mappings` is true). Each area adds one line to these lists.
import type { ServiceContext } from '../context.ts';

export interface SubscriptionCreatedEvent {
  subscriptionId: string;
  createDefaultMappings: boolean;
}

export type SubscriptionCreatedHook = (ctx: ServiceContext, event: SubscriptionCreatedEvent) => Promise<void>;
export type SubscriptionDeletedHook = (ctx: ServiceContext, subscriptionId: string) => Promise<void>;

export const subscriptionCreatedHooks: SubscriptionCreatedHook[] = [];
export const subscriptionDeletedHooks: SubscriptionDeletedHook[] = [];
