import { sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import type { Store } from './db.ts';
import { migrations } from './migrations/index.ts';

/** Any fixed number shared by every klaviyo-sync process: the PostgreSQL advisory lock key of migrations. */
const MIGRATION_LOCK_KEY = 7_231_004_117;

/**
 * SQL that removes a PostgreSQL schema and all it holds, under the migration lock: a migrator reading the
 * catalogue while a schema disappears fails ("schema … does not exist"), so drops wait for migrations and
 * migrations for drops. For removing a side-by-side install's schema (and the tests' own schemas).
 */
export function dropSchemaSql(schema: string): string {
  const quoted = `"${schema.replace(/"/g, '""')}"`;
  return `BEGIN; SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}); DROP SCHEMA IF EXISTS ${quoted} CASCADE; COMMIT;`;
}

/** Brings the store's schema up to date. Safe to run at every start and from several processes. */
export async function migrate(store: Store): Promise<string[]> {
  if (store.kind !== 'postgres' || !store.pool) return runMigrations(store);
  // Processes starting together would race on CREATE SCHEMA / CREATE TABLE IF NOT EXISTS (PostgreSQL can
  // fail one of two concurrent ones) before Kysely's own lock exists; one session-level lock orders them.
  const client = await store.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await runMigrations(store);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

async function runMigrations(store: Store): Promise<string[]> {
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
