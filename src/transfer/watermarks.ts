// Stored watermarks: how far a subscription's poll has read (the profile poll keeps Klaviyo's `updated`
// time here). Set inside the transaction that queues the page's transfers, so a crash never skips a page.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export class WatermarkRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async get(subscriptionId: string, name: string, db: Kysely<Database> = this.db): Promise<string | null> {
    const r = await db
      .selectFrom('watermarks')
      .select('value')
      .where('subscription_id', '=', subscriptionId)
      .where('name', '=', name)
      .executeTakeFirst();
    return r?.value ?? null;
  }

  async set(
    subscriptionId: string,
    name: string,
    value: string,
    db: Kysely<Database> = this.db,
  ): Promise<void> {
    const at = new Date().toISOString();
    await db
      .insertInto('watermarks')
      .values({ subscription_id: subscriptionId, name, value, updated_at: at })
      .onConflict((oc) => oc.columns(['subscription_id', 'name']).doUpdateSet({ value, updated_at: at }))
      .execute();
  }
}
