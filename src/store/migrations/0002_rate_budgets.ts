// Klaviyo rate budgets shared by every process on PostgreSQL (SPEC S7, S10): the table rate-limiter-flexible's
// RateLimiterPostgres used, made here so no process creates it on the fly. The embedded store keeps budgets
// in memory (one process), so SQLite needs no table.
import { type Kysely, sql } from 'kysely';
import type { StoreKind } from '../db.ts';
import type { StoreMigration } from './index.ts';

export const RATE_BUDGETS_TABLE = 'klaviyo_rate_budgets';

export const rateBudgetsMigration: StoreMigration = {
  name: '0002_rate_budgets',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>, kind: StoreKind) {
    if (kind !== 'postgres') return;
    await sql`CREATE TABLE IF NOT EXISTS ${sql.table(RATE_BUDGETS_TABLE)} (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`.execute(
      db,
    );
  },
};
