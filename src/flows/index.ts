// The Klaviyo flows, registered with the transfer engine and the poll scheduler: Customer → Profile,
// Transaction → events, Profile → Customer and its profile poll, Product → catalog. The composition root calls
// registerKlaviyoFlows once with the real parts.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { FlowRegistry } from '../transfer/registry.ts';
import type { Poller } from '../transfer/scheduler.ts';
import { createCustomerToProfileHandler } from './customer-to-profile/handler.ts';
import type { FlowDeps } from './shared/flow-deps.ts';
import { createPrivacyDeletionHandler } from './privacy-deletion/handler.ts';
import { createProfilePoller } from './profile-to-customer/profile-poller.ts';
import { createProductToCatalogHandler } from './product-to-catalog/handler.ts';
import { createProfileToCustomerHandler } from './profile-to-customer/handler.ts';
import { createTransactionToEventsHandler } from './transaction-to-events/handler.ts';

export type { FlowDeps, FlowSubscription } from './shared/flow-deps.ts';

export function klaviyoFlowHandlers(deps: FlowDeps) {
  return [
    createCustomerToProfileHandler(deps),
    createTransactionToEventsHandler(deps),
    createProfileToCustomerHandler(deps),
    createProductToCatalogHandler(deps),
    createPrivacyDeletionHandler(deps),
  ];
}

export function registerKlaviyoFlows(
  engine: { registry: FlowRegistry },
  deps: FlowDeps,
  polling?: { scheduler: { register(poller: Poller): void }; db: Kysely<Database> },
): void {
  for (const handler of klaviyoFlowHandlers(deps)) engine.registry.register(handler);
  if (polling) polling.scheduler.register(createProfilePoller({ ...deps, db: polling.db }));
}
