// Collision handling of the customer flows (SPEC S4, docs/mappings.md): what an Add does when the record
// it would create already exists on the other side — a Klaviyo profile with the customer's email or phone,
// or a hub customer with the profile's email. The Add collection's setting decides, as in iPaaS.com:
// - `update_and_link`: update the existing record and store the link (the default collections' setting);
// - `update_no_link`: update it without storing the link, so the next transfer matches it again;
// - `remove_and_link`: update it and link it, removing the link the existing record held to another
//   record of the subscription, so the pair is one-to-one afterwards (nothing is ever deleted);
// - `error`: write nothing and fail with RECORD_COLLISION, naming the existing record.
import type { Kysely } from 'kysely';
import type { CollisionHandling } from '../../domain/collections.ts';
import type { CompiledCollection } from '../../mapping/engine.ts';
import type { Database } from '../../store/schema.ts';
import type { Outcome } from '../../transfer/types.ts';

/** A hand-built collection without the setting keeps the behaviour that predates it. */
export function collisionHandlingOf(collection: CompiledCollection | undefined): CollisionHandling {
  return collection?.collisionHandling ?? 'update_and_link';
}

/** Whether a collision under this setting stores the link. */
export function linksOnCollision(handling: CollisionHandling): boolean {
  return handling === 'update_and_link' || handling === 'remove_and_link';
}

export function collisionOutcome(collection: CompiledCollection | undefined, message: string): Outcome {
  return {
    status: 'failed',
    code: 'RECORD_COLLISION',
    message,
    retryable: false,
    collection_id: collection?.id,
  };
}

const WHAT_TO_DO =
  "If they are the same person, set the collection's collision handling to update_and_link (or " +
  'update_no_link) and retry; if not, correct the email or phone on one side, then retry.';

export function profileCollisionMessage(
  customerId: string,
  profileId: string,
  how: string,
  collectionName: string,
): string {
  return (
    `Hub customer ${customerId} collides with the existing Klaviyo profile ${profileId} (${how}); ` +
    `collection '${collectionName}' has collision handling 'error', so nothing was sent or linked. ${WHAT_TO_DO}`
  );
}

export function customerCollisionMessage(
  profileId: string,
  customerId: string,
  collectionName: string,
): string {
  return (
    `Klaviyo profile ${profileId} collides with the existing hub customer ${customerId} (same email); ` +
    `collection '${collectionName}' has collision handling 'error', so nothing was written or linked. ${WHAT_TO_DO}`
  );
}

/**
 * `remove_and_link` on the Customer → Profile side: other hub customers linked to these profiles lose
 * their link, so each profile keeps exactly the customer that now claims it. Returns the removed links.
 */
export async function releaseProfileLinks(
  db: Kysely<Database>,
  subscriptionId: string,
  table: string,
  claims: readonly { hubId: string; profileId: string }[],
): Promise<{ hubId: string; profileId: string }[]> {
  const removed: { hubId: string; profileId: string }[] = [];
  for (const claim of claims) {
    const others = await db
      .selectFrom('links')
      .select('hub_id')
      .where('subscription_id', '=', subscriptionId)
      .where('table_name', '=', table)
      .where('klaviyo_id', '=', claim.profileId)
      .where('hub_id', '!=', claim.hubId)
      .execute();
    if (others.length === 0) continue;
    await db
      .deleteFrom('links')
      .where('subscription_id', '=', subscriptionId)
      .where('table_name', '=', table)
      .where('klaviyo_id', '=', claim.profileId)
      .where('hub_id', '!=', claim.hubId)
      .execute();
    for (const other of others) removed.push({ hubId: other.hub_id, profileId: claim.profileId });
  }
  return removed;
}
