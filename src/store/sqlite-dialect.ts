// Kysely's SqliteDialect expects a better-sqlite3-shaped database. node:sqlite (built into Node 24)
// has nearly the same surface; this adapter bridges the small differences so the project needs no
// native addon.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { SqliteDialect } from 'kysely';

type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

function toParams(parameters: ReadonlyArray<unknown>): Param[] {
  return parameters.map((p) => {
    if (p === undefined || p === null) return null;
    if (typeof p === 'boolean') return p ? 1 : 0;
    if (p instanceof Date) return p.toISOString();
    return p as Param;
  });
}

function adaptStatement(stmt: StatementSync) {
  return {
    reader: stmt.columns().length > 0,
    all: (parameters: ReadonlyArray<unknown>) => stmt.all(...toParams(parameters)),
    run: (parameters: ReadonlyArray<unknown>) => {
      const r = stmt.run(...toParams(parameters));
      return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
    },
    iterate: (parameters: ReadonlyArray<unknown>) =>
      stmt.iterate(...toParams(parameters)) as IterableIterator<unknown>,
  };
}

/** Opens (creating when missing) a SQLite file tuned for one writer process: WAL, a busy timeout, FKs on. */
export function openSqlite(filename: string): DatabaseSync {
  const db = new DatabaseSync(filename);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}

export function nodeSqliteDialect(db: DatabaseSync): SqliteDialect {
  return new SqliteDialect({
    database: {
      close: () => db.close(),
      prepare: (sql: string) => adaptStatement(db.prepare(sql)),
    },
  });
}
