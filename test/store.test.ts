import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openStore } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';

test('the embedded SQLite store opens and migrates', async () => {
  const store = openStore({ dataDir: '.', sqliteFile: ':memory:' });
  await migrate(store);
  const r = await sql<{ one: number }>`select 1 as one`.execute(store.db);
  assert.equal(r.rows[0].one, 1);
  await store.close();
});

test('the PostgreSQL store opens and migrates in its own schema', {
  skip: !process.env.TEST_DATABASE_URL,
}, async () => {
  const schema = `t_smoke_${process.pid}`;
  const store = openStore({ dataDir: '.', databaseUrl: process.env.TEST_DATABASE_URL, pgSchema: schema });
  await migrate(store);
  const r = await sql<{ s: string }>`select current_schema() as s`.execute(store.db);
  assert.equal(r.rows[0].s, schema);
  await sql`drop schema ${sql.id(schema)} cascade`.execute(store.db);
  await store.close();
});
