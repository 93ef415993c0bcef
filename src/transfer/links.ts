// Links (external ids): per subscription, `(table, hub id) ↔ Klaviyo id` (docs/flows.md). A link decides Add
// vs Update. Writes take an optional transaction so a flow can store a link with the transfer's outcome.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { chunked } from './rows.ts';

export interface Link {
  subscription_id: string;
  table_name: string;
  hub_id: string;
  klaviyo_id: string;
}

export class LinkRepository {
  private readonly db: Kysely<Database>;
  private readonly now: () => Date;

  constructor(db: Kysely<Database>, options: { now?: () => Date } = {}) {
    this.db = db;
    this.now = options.now ?? (() => new Date());
  }

  async klaviyoIdOf(subscriptionId: string, table: string, hubId: string): Promise<string | null> {
    return (await this.klaviyoIdsOf(subscriptionId, table, [hubId])).get(hubId) ?? null;
  }

  /** Klaviyo ids of many hub ids at once (a batch's lookups in one query per 500). */
  async klaviyoIdsOf(subscriptionId: string, table: string, hubIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunked([...new Set(hubIds)])) {
      const rows = await this.db
        .selectFrom('links')
        .select(['hub_id', 'klaviyo_id'])
        .where('subscription_id', '=', subscriptionId)
        .where('table_name', '=', table)
        .where('hub_id', 'in', part)
        .execute();
      for (const r of rows) out.set(r.hub_id, r.klaviyo_id);
    }
    return out;
  }

  async hubIdOf(subscriptionId: string, table: string, klaviyoId: string): Promise<string | null> {
    const r = await this.db
      .selectFrom('links')
      .select('hub_id')
      .where('subscription_id', '=', subscriptionId)
      .where('table_name', '=', table)
      .where('klaviyo_id', '=', klaviyoId)
      .orderBy('created_at')
      .executeTakeFirst();
    return r?.hub_id ?? null;
  }

  async set(links: Link[], db: Kysely<Database> = this.db): Promise<void> {
    const at = this.now().toISOString();
    for (const part of chunked(links, 300)) {
      await db
        .insertInto('links')
        .values(part.map((l) => ({ ...l, created_at: at, updated_at: at })))
        .onConflict((oc) =>
          oc.columns(['subscription_id', 'table_name', 'hub_id']).doUpdateSet((eb) => ({
            klaviyo_id: eb.ref('excluded.klaviyo_id'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }

  async remove(subscriptionId: string, table: string, hubId: string, db: Kysely<Database> = this.db) {
    await db
      .deleteFrom('links')
      .where('subscription_id', '=', subscriptionId)
      .where('table_name', '=', table)
      .where('hub_id', '=', hubId)
      .execute();
  }

  async list(subscriptionId: string, table?: string, page: { limit?: number; cursor?: string } = {}) {
    const limit = Math.min(Math.max(page.limit ?? 100, 1), 1000);
    let q = this.db.selectFrom('links').selectAll().where('subscription_id', '=', subscriptionId);
    if (table) q = q.where('table_name', '=', table);
    if (page.cursor) q = q.where('hub_id', '>', page.cursor);
    const rows = await q
      .orderBy('hub_id')
      .limit(limit + 1)
      .execute();
    const data = rows.slice(0, limit);
    return { data, next_cursor: rows.length > limit ? data[data.length - 1].hub_id : null };
  }
}
