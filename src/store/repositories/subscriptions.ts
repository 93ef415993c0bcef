// Subscriptions and their outbound flow toggles. Secrets stay encrypted here; callers decrypt with the
// service's SecretBox only where a secret is used.
import type { Kysely, Selectable, Updateable } from 'kysely';
import {
  FLOW_SCOPE_DEFAULTS,
  FLOW_SCOPES,
  type FlowScope,
  type SubscriptionStatus,
} from '../../domain/subscription.ts';
import { type SecretBox, safeEqual } from '../../secrets/index.ts';
import type { Database } from '../schema.ts';
import type { SubscriptionsTable } from '../tables/core.ts';

type Db = Kysely<Database>;
export type SubscriptionRow = Selectable<SubscriptionsTable>;

export async function insertSubscription(db: Db, row: SubscriptionRow): Promise<void> {
  await db.insertInto('subscriptions').values(row).execute();
}

export async function getSubscriptionRow(db: Db, id: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listSubscriptionRows(db: Db): Promise<SubscriptionRow[]> {
  return db.selectFrom('subscriptions').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function subscriptionNameTaken(db: Db, name: string, exceptId?: string): Promise<boolean> {
  let q = db.selectFrom('subscriptions').select('id').where('name', '=', name);
  if (exceptId) q = q.where('id', '!=', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function updateSubscriptionRow(
  db: Db,
  id: string,
  changes: Updateable<SubscriptionsTable>,
): Promise<void> {
  await db
    .updateTable('subscriptions')
    .set({ ...changes, updated_at: new Date().toISOString() })
    .where('id', '=', id)
    .execute();
}

export async function deleteSubscriptionRow(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('subscriptions').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface ConnectionResult {
  status: SubscriptionStatus;
  message: string | null;
  accountId?: string | null;
  accountName?: string | null;
}

/** Stores a status change. It does not touch updated_at, which marks changes of the settings. */
export async function setSubscriptionStatus(db: Db, id: string, result: ConnectionResult): Promise<void> {
  await db
    .updateTable('subscriptions')
    .set({
      status: result.status,
      status_message: result.message,
      checked_at: new Date().toISOString(),
      ...(result.accountId !== undefined ? { account_id: result.accountId } : {}),
      ...(result.accountName !== undefined ? { account_name: result.accountName } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** Checks an inbound notification's bearer key against the subscription's webhook key in constant time. */
export async function verifyWebhookKey(
  db: Db,
  secrets: SecretBox,
  subscriptionId: string,
  presented: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('subscriptions')
    .select('webhook_key_enc')
    .where('id', '=', subscriptionId)
    .executeTakeFirst();
  if (!row) return false;
  return safeEqual(presented, secrets.decrypt(row.webhook_key_enc));
}

/** Every outbound flow scope with its on/off state (the stored choice, else the default). */
export async function getFlowToggles(db: Db, subscriptionId: string): Promise<Record<FlowScope, boolean>> {
  const rows = await db
    .selectFrom('subscription_flows')
    .select(['scope', 'enabled'])
    .where('subscription_id', '=', subscriptionId)
    .execute();
  const toggles: Record<FlowScope, boolean> = { ...FLOW_SCOPE_DEFAULTS };
  for (const r of rows)
    if ((FLOW_SCOPES as string[]).includes(r.scope)) toggles[r.scope as FlowScope] = r.enabled === 1;
  return toggles;
}

/** The scopes whose outbound flow is on, e.g. `['customer/created', 'customer/updated', …]`. */
export async function getEnabledFlows(db: Db, subscriptionId: string): Promise<FlowScope[]> {
  const toggles = await getFlowToggles(db, subscriptionId);
  return FLOW_SCOPES.filter((s) => toggles[s]);
}

export async function setFlowToggles(
  db: Db,
  subscriptionId: string,
  changes: Partial<Record<FlowScope, boolean>>,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const [scope, enabled] of Object.entries(changes)) {
      await trx
        .insertInto('subscription_flows')
        .values({ subscription_id: subscriptionId, scope, enabled: enabled ? 1 : 0 })
        .onConflict((oc) =>
          oc.columns(['subscription_id', 'scope']).doUpdateSet({ enabled: enabled ? 1 : 0 }),
        )
        .execute();
    }
  });
}
