// The first home of the Klaviyo rate budgets shared by every process on PostgreSQL: the fixed-window table
// rate-limiter-flexible's RateLimiterPostgres used. 0003 replaced it with sliding logs and 0004 drops it;
// it stays in the list because migrations are history (a store at 0001 still takes each step in order).
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
