// Every migration of the store, in order. Names sort by their number; each area has its own range so
// areas never collide: 0001-0099 core (auth, subscriptions, OAuth), 0100-0199 hub and transfers,
// 0200-0299 mappings, 0300-0399 flows. A migration receives the store kind for the rare
// dialect-specific statement.
import type { Kysely } from 'kysely';
import type { StoreKind } from '../db.ts';
import { coreMigration } from './0001_core.ts';
import { rateBudgetsMigration } from './0002_rate_budgets.ts';
import { rateBudgetWindowsMigration } from './0003_rate_budget_windows.ts';
import { loginAttemptsMigration } from './0005_login_attempts.ts';
import { hubMigration } from './0100_hub.ts';
import { transfersMigration } from './0101_transfers.ts';
import { transferLanesMigration } from './0102_transfer_lanes.ts';
import { transferInterruptionsMigration } from './0103_transfer_interruptions.ts';
import { hubWebhooksMigration } from './0110_hub_webhooks.ts';
import { transferInterruptedBatchMigration } from './0120_transfer_interrupted_batch.ts';
import { mappingMigration } from './0200_mapping.ts';
import { flowsMigration } from './0300_flows.ts';
import { collisionHandlingMigration } from './0301_collision_handling.ts';

export interface StoreMigration {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  up(db: Kysely<any>, kind: StoreKind): Promise<void>;
}

export const migrations: StoreMigration[] = [
  coreMigration,
  rateBudgetsMigration,
  rateBudgetWindowsMigration,
  loginAttemptsMigration,
  hubMigration,
  transfersMigration,
  transferLanesMigration,
  transferInterruptionsMigration,
  hubWebhooksMigration,
  transferInterruptedBatchMigration,
  mappingMigration,
  flowsMigration,
  collisionHandlingMigration,
];
