// Drops 0002's fixed-window budget table. Since 0003 the shared Klaviyo budgets live in sliding logs
// (klaviyo_rate_budget_windows); 0002's table was kept for processes of the version before 0003 during a
// rolling upgrade, and nothing has read it since (docs/klaviyo-client.md, "Rate budgets"). SQLite never had it.
import { sql, type Kysely } from 'kysely';
import type { StoreKind } from '../db.ts';
import { RATE_BUDGETS_TABLE } from './0002_rate_budgets.ts';
import type { StoreMigration } from './index.ts';

export const dropRateBudgetsMigration: StoreMigration = {
  name: '0004_drop_rate_budgets',
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  async up(db: Kysely<any>, kind: StoreKind) {
    if (kind !== 'postgres') return;
    await sql`DROP TABLE IF EXISTS ${sql.table(RATE_BUDGETS_TABLE)}`.execute(db);
  },
};
