// Shapes of the API's answers as the console reads them (docs/api.md). The transfer and dashboard answers
// are the server's own types, imported as types (erased from the bundle); enumerations come from
// src/domain, whose plain constants the console may also bundle (its build hash covers src/domain too).
import type { Direction, MappingType, SyncType } from '../domain/collections.ts';
import type { SubscriptionStatus } from '../domain/subscription.ts';
import type { DashboardAnswer } from '../server/routes/dashboard.ts';
import type { TransferDetailJson, TransferStep } from '../transfer/log.ts';
import type { TransferJson } from '../transfer/types.ts';

export { TRANSFER_STATES, type TransferState } from '../domain/transfer-states.ts';
export type { DashboardAnswer, MappingType, TransferStep };
export type Transfer = TransferJson;
export type TransferDetail = TransferDetailJson;
export type ConnectionStatus = SubscriptionStatus;

export interface Subscription {
  id: string;
  name: string;
  version: string;
  api_url: string;
  api_key?: string | null;
  api_revision?: string | null;
  generate_events: boolean;
  throttle_limit: number;
  throttle_seconds: number;
  hub_throttle_limit: number;
  hub_throttle_seconds: number;
  concurrent_connections: number;
  webhook_api_key?: string | null;
  polling_interval_minutes: number;
  default_phone_country?: string | null;
  status: ConnectionStatus;
  status_message?: string | null;
  account_id?: string | null;
  account_name?: string | null;
  auth_method?: 'api_key' | 'oauth' | null;
  access_token?: string | null;
  refresh_token?: string | null;
  access_token_expires_at?: string | null;
  created_at?: string;
  updated_at?: string;
}

export interface Mapping {
  destination: string;
  type: MappingType;
  value?: unknown;
  source?: string;
  formula?: string;
  table?: Record<string, unknown>;
  default?: unknown;
  description?: string | null;
}

export interface Collection {
  id: string;
  subscription_id?: string;
  name: string;
  type: string;
  direction: Direction;
  sync_type: SyncType;
  parent_id: string | null;
  enabled: boolean;
  mapping_filter?: string | null;
  error_filter?: string | null;
  error_message?: string | null;
  collision_handling?: string | null;
  sort_order?: number | null;
  description?: string | null;
  mappings: Mapping[];
}

export const COLLECTION_TYPES = [
  'customer',
  'customer_address',
  'transaction',
  'transaction_line',
  'product',
  'product_variant',
] as const;
