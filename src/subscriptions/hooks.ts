// What other areas do when a subscription is made or removed (e.g. the mapping area creates the default
// collections when `create_default_mappings` is true). The hook types live here; the lists of created and
// deleted hooks name areas above this one, so they are kept where the HTTP app is built
// (src/server/subscription-hooks.ts) and handed to the subscription routes. Each area adds one line there.
import type { SubscriptionStatus } from '../domain/subscription.ts';
import type { ServiceContext } from '../service/context.ts';

export interface SubscriptionCreatedEvent {
  subscriptionId: string;
  createDefaultMappings: boolean;
}

export type SubscriptionCreatedHook = (ctx: ServiceContext, event: SubscriptionCreatedEvent) => Promise<void>;
export type SubscriptionDeletedHook = (ctx: ServiceContext, subscriptionId: string) => Promise<void>;

export interface SubscriptionStatusEvent {
  subscriptionId: string;
  status: SubscriptionStatus;
  previous: SubscriptionStatus;
}
/** Called after a subscription's status changed (connected, authorization_revoked, …). */
export type SubscriptionStatusHook = (ctx: ServiceContext, event: SubscriptionStatusEvent) => Promise<void>;
export const subscriptionStatusHooks: SubscriptionStatusHook[] = [];
