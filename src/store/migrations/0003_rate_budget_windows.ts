// Klaviyo rate budgets shared by every process on PostgreSQL (docs/klaviyo-client.md, "Rate budgets"), as
// sliding logs: one row per budget bucket (budget key and tier) with its recent grant times, used by
// PostgresRateBudgetStore. It replaced 0002's fixed-window table, which 0004 drops. SQLite runs one process
// and keeps budgets in memory, so it needs no table.
import { type Kysely, sql } from 'kysely';
import type { StoreKind } from '../db.ts';
import type { StoreMigration } from './index.ts';

export const RATE_BUDGET_WINDOWS_TABLE = 'klaviyo_rate_budget_windows';

export const rateBudgetWindowsMigration: StoreMigration = {
  name: '0003_rate_budget_windows',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>, kind: StoreKind) {
    if (kind !== 'postgres') return;
    // Times are epoch ms. `grants` are this bucket's own spends (every window counts them), `booked` are
    // spends seen only through RateLimit-Remaining (the steady window counts them).
    await sql`CREATE TABLE IF NOT EXISTS ${sql.table(RATE_BUDGET_WINDOWS_TABLE)} (
      bucket text PRIMARY KEY,
      grants bigint[] NOT NULL DEFAULT '{}',
      booked bigint[] NOT NULL DEFAULT '{}',
      steady_limit integer,
      blocked_until bigint NOT NULL DEFAULT 0
    )`.execute(db);
  },
};
