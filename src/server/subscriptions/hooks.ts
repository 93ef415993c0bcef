// What other areas do when a subscription is made or removed (e.g. the mapping area creates the default
// collections when `create_default_mappings` is true). Each area adds one line to these lists.
import { createDefaultMappingsHook } from '../../mapping/hooks.ts';
import { forgetDeletedSubscription } from '../../transfer/service.ts';
import type { ServiceContext } from '../../service/context.ts';

export interface SubscriptionCreatedEvent {
  subscriptionId: string;
  createDefaultMappings: boolean;
}

export type SubscriptionCreatedHook = (ctx: ServiceContext, event: SubscriptionCreatedEvent) => Promise<void>;
export type SubscriptionDeletedHook = (ctx: ServiceContext, subscriptionId: string) => Promise<void>;

export const subscriptionCreatedHooks: SubscriptionCreatedHook[] = [createDefaultMappingsHook];
export const subscriptionDeletedHooks: SubscriptionDeletedHook[] = [forgetDeletedSubscription];

export interface SubscriptionStatusEvent {
  subscriptionId: string;
  status: import('../../domain/subscription.ts').SubscriptionStatus;
  previous: import('../../domain/subscription.ts').SubscriptionStatus;
}
/** Called after a subscription's status changed (connected, authorization_revoked, …). */
export type SubscriptionStatusHook = (ctx: ServiceContext, event: SubscriptionStatusEvent) => Promise<void>;
export const subscriptionStatusHooks: SubscriptionStatusHook[] = [];
