import { sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import type { Store } from './db.ts';
import { migrations } from './migrations/index.ts';

/** Brings the store's schema up to date. Safe to run at every start and from several processes. */
export async function migrate(store: Store): Promise<string[]> {
  if (store.kind === 'postgres' && store.pgSchema) {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(store.pgSchema)}`.execute(store.db);
  }
  const provider: MigrationProvider = {
    async getMigrations() {
      const all: Record<string, Migration> = {};
      for (const m of migrations) all[m.name] = { up: (db) => m.up(db, store.kind) };
      return all;
    },
  };
  const migrator = new Migrator({
    db: store.db,
    provider,
    // Each area numbers its migrations in its own range, so a new one may sort before others already run.
    allowUnorderedMigrations: true,
    ...(store.kind === 'postgres' && store.pgSchema ? { migrationTableSchema: store.pgSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
