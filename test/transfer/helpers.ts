// Shared test setup for the hub and the transfer engine: a fresh store (SQLite in a temp dir, and
// PostgreSQL in a schema of its own when TEST_DATABASE_URL is set), a fake clock and a test flow.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import type { HubScope } from '../../src/domain/hub.ts';
import { HubStore } from '../../src/hub/store.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { migrate, dropSchemaSql } from '../../src/store/migrate.ts';
import type { Database } from '../../src/store/schema.ts';
import { TransferEngine, type TransferEngineOptions } from '../../src/transfer/engine.ts';
import type { FlowHandler, FlowSettingsSource, Outcome, Transfer } from '../../src/transfer/types.ts';

export interface Backend {
  name: string;
  open(): Promise<{ store: Store; close(): Promise<void> }>;
}

let schemas = 0;

export function backends(): Backend[] {
  const list: Backend[] = [
    {
      name: 'sqlite',
      async open() {
        const dir = mkdtempSync(path.join(tmpdir(), 'ks-transfer-'));
        const store = openStore({ dataDir: dir, sqliteFile: 'test.db' });
        await migrate(store);
        return {
          store,
          async close() {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
  ];
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    list.push({
      name: 'postgres',
      async open() {
        const pgSchema = `t_transfer_${process.pid}_${++schemas}_${Date.now() % 100000}`;
        const store = openStore({ dataDir: '.', databaseUrl: url, pgSchema });
        await migrate(store);
        return {
          store,
          async close() {
            await sql.raw(dropSchemaSql(pgSchema)).execute(store.db);
            await store.close();
          },
        };
      },
    });
  }
  return list;
}

export function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/** Flow settings from a plain map: subscription → the scopes that are on. */
export function staticFlowSettings(on: Record<string, HubScope[]>): FlowSettingsSource & {
  on: Record<string, HubScope[]>;
} {
  return {
    on,
    async subscriptionsWithScope(_db: Kysely<Database>, scope: HubScope) {
      return Object.entries(on)
        .filter(([, scopes]) => scopes.includes(scope))
        .map(([id]) => id)
        .sort();
    },
  };
}

/** A flow that answers with `decide` and remembers every batch it was handed. */
export function testFlow(
  flow: string,
  decide: (t: Transfer, call: number) => Outcome = () => ({ status: 'succeeded' }),
  maxBatch = 100,
): FlowHandler & { batches: Transfer[][]; backlogs: number[] } {
  const batches: Transfer[][] = [];
  const backlogs: number[] = [];
  return {
    flow,
    direction: 'from_hub',
    maxBatch,
    batches,
    backlogs,
    async handle(batch, ctx) {
      batches.push(batch);
      backlogs.push(ctx.backlog);
      const out = new Map<string, Outcome>();
      for (const t of batch) {
        ctx.step(t.id, { kind: 'mapped', message: 'mapped', data: { record: t.record_id } });
        out.set(t.id, decide(t, batches.length));
      }
      return out;
    },
  };
}

export async function setup(
  backend: Backend,
  flows: FlowSettingsSource,
  options: Partial<TransferEngineOptions> = {},
) {
  const { store, close } = await backend.open();
  const clock = fakeClock();
  const hub = new HubStore(store, { now: () => new Date(clock.now()) });
  const engine = new TransferEngine({ store, hub, flowSettings: flows, now: clock.now, ...options });
  return {
    store,
    hub,
    engine,
    clock,
    async close() {
      await engine.stop(100);
      await close();
    },
  };
}

export function customers(n: number, prefix = 'c') {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}`,
    email_address: `${prefix}${i}@example.com`,
    first_name: `First${i}`,
  }));
}
