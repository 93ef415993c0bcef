// Tables of transfers, transfer steps (the log), links, watermarks and queue pauses.
import type { Generated } from 'kysely';

export interface TransfersTable {
  /** Also the queue order: FIFO is ascending id. */
  id: Generated<number>;
  subscription_id: string;
  collection_id: string | null;
  flow: string;
  direction: string;
  /** What started it: a hub scope (`customer/updated`), `manual`, `poll` or `hook`. */
  trigger: string;
  record_kind: string;
  record_id: string;
  record_version: number | null;
  /** Set when queued updates of the same record may be merged into one transfer; null for debug runs. */
  collapse_key: string | null;
  state: string;
  /** Higher runs first (manual-sync debug transfers). */
  priority: number;
  debug: number;
  attempts: number;
  max_attempts: number;
  /** Epoch ms when a queued or failed transfer may run; null once it needs no more runs. */
  next_attempt_at: number | null;
  lease_until: number | null;
  claimed_by: string | null;
  /** Claims that ended without an outcome because the worker stopped (crash, expired lease). */
  interruptions: Generated<number>;
  /** How many transfers shared its batch at its last interruption (0: never interrupted). */
  interrupted_batch: Generated<number>;
  error_code: string | null;
  error_message: string | null;
  tracking_id: string;
  /** Extra input a flow needs (JSON), e.g. the polled profile. */
  payload: string | null;
  created_at: string;
  updated_at: string;
}

export interface TransferStepsTable {
  id: Generated<number>;
  transfer_id: number;
  at: string;
  kind: string;
  level: string;
  message: string;
  data: string | null;
}

export interface LinksTable {
  subscription_id: string;
  table_name: string;
  hub_id: string;
  klaviyo_id: string;
  created_at: string;
  updated_at: string;
}

export interface WatermarksTable {
  subscription_id: string;
  name: string;
  value: string;
  updated_at: string;
}

export interface TransferPausesTable {
  subscription_id: string;
  code: string;
  message: string;
  paused_at: string;
}

/** Every (subscription, flow) that has had a transfer: the claim looks lane by lane, never at the whole queue. */
export interface TransferLanesTable {
  subscription_id: string;
  flow: string;
}

export interface TransferTables {
  transfer_lanes: TransferLanesTable;
  transfers: TransfersTable;
  transfer_steps: TransferStepsTable;
  links: LinksTable;
  watermarks: WatermarksTable;
  transfer_pauses: TransferPausesTable;
}
