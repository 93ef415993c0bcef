// The flow names the engine triggers from hub changes and inbound notifications. The flows themselves
// (src/flows/, docs/flows.md) register handlers under these names.
import type { HubKind } from '../domain/hub.ts';

export const FROM_HUB_FLOW: Record<HubKind, string> = {
  customer: 'customer-to-profile',
  transaction: 'transaction-to-events',
  product: 'product-to-catalog',
};

export const PROFILE_TO_CUSTOMER_FLOW = 'profile-to-customer';
