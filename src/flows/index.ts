// The Klaviyo flows, registered with the transfer engine: Customer → Profile, Profile → Customer and
// Transaction → events. The composition root calls registerKlaviyoFlows once with the real parts.
import type { FlowRegistry } from '../transfer/registry.ts';
import { createCustomerToProfileHandler } from './customer-to-profile.ts';
import type { FlowDeps } from './flow-deps.ts';
import { createTransactionToEventsHandler } from './transaction-to-events.ts';

export type { FlowDeps, FlowSubscription } from './flow-deps.ts';

export function klaviyoFlowHandlers(deps: FlowDeps) {
  return [createCustomerToProfileHandler(deps), createTransactionToEventsHandler(deps)];
}

export function registerKlaviyoFlows(engine: { registry: FlowRegistry }, deps: FlowDeps): void {
  for (const handler of klaviyoFlowHandlers(deps)) engine.registry.register(handler);
}
