// One Kysely instance over either the embedded SQLite file or PostgreSQL. Everything above the store
// writes the same queries for both; the few places that differ ask `db.kind`.
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createPrivateFile, prepareDataDir, secureSqliteFiles } from './files.ts';
import { nodeSqliteDialect, openSqlite } from './sqlite-dialect.ts';
import type { Database } from './schema.ts';

export type StoreKind = 'sqlite' | 'postgres';

export interface Store {
  kind: StoreKind;
  db: Kysely<Database>;
  /** PostgreSQL pool, when kind is postgres (for advisory locks, LISTEN/NOTIFY, pg-boss). */
  pool?: pg.Pool;
  pgSchema?: string;
  /** The SQLite file, when kind is sqlite and it is a file. */
  file?: string;
  /** Files whose modes were tightened when the store was opened (an older install left them open). */
  tightened?: string[];
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL connection string; when absent the embedded SQLite store is used. */
  databaseUrl?: string;
  /** Folder holding `klaviyo-sync.db` for the embedded store. */
  dataDir: string;
  /** SQLite file name inside dataDir (tests use their own). Use ':memory:' for a throwaway store. */
  sqliteFile?: string;
  /** PostgreSQL schema to use (tests isolate themselves in a schema of their own). */
  pgSchema?: string;
}

// PostgreSQL BIGINT (int8) and NUMERIC come back as strings by default; the store keeps counters and
// versions well inside 2^53, so parse int8 as a number.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export function openStore(options: StoreOptions): Store {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 10,
      // A schema of its own keeps tests (and side-by-side installs) apart; migrate() creates it.
      ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kind: 'postgres', db, pool, pgSchema: options.pgSchema, close: () => db.destroy() };
  }
  const file = options.sqliteFile ?? 'klaviyo-sync.db';
  if (file === ':memory:') {
    const db = new Kysely<Database>({ dialect: nodeSqliteDialect(openSqlite(file)) });
    return { kind: 'sqlite', db, close: () => db.destroy() };
  }
  // Customers' personal data: only the service's user may read the folder and the files (0700 / 0600).
  const tightened = prepareDataDir(options.dataDir);
  const filename = path.resolve(options.dataDir, file);
  createPrivateFile(filename);
  const sqlite = openSqlite(filename);
  tightened.push(...secureSqliteFiles(filename));
  const db = new Kysely<Database>({ dialect: nodeSqliteDialect(sqlite) });
  return { kind: 'sqlite', db, file: filename, tightened, close: () => db.destroy() };
}
