// Klaviyo data-privacy deletion on request (SPEC S5.1): a deleted hub customer is never deleted in Klaviyo
// by itself, but an operator may ask Klaviyo to delete a profile and its data. The request travels as a
// transfer of this flow so it is queued, retried on transient failures and found in the transfer log like
// any other record. Once Klaviyo accepts it, the links to the profile go: the profile is going away, and a
// later sync of the hub customer should create a new one rather than update a deleted one.
import type { Kysely } from 'kysely';
import type { DeletionTarget } from '../../klaviyo/index.ts';
import type { Database } from '../../store/schema.ts';
import type { FlowHandler, Outcome, Transfer } from '../../transfer/types.ts';
import { clientForBatch } from '../shared/batch-handling.ts';
import { CUSTOMER_TABLE } from '../customer-to-profile/handler.ts';
import type { FlowDeps } from '../shared/flow-deps.ts';
import { outcomeForError } from '../shared/outcomes.ts';

export const PRIVACY_DELETION_FLOW = 'privacy-deletion';

/** Exactly one identifier, in the API's words. */
export type DeletionIdentifier = { profile_id: string } | { email: string } | { phone_number: string };

/** What a privacy-deletion transfer carries: the identifier sent, and the hub customer it came from. */
export interface PrivacyDeletionPayload {
  target: DeletionIdentifier;
  customer_id?: string;
}

export function describeIdentifier(target: DeletionIdentifier): string {
  if ('profile_id' in target) return `Klaviyo profile ${target.profile_id}`;
  if ('email' in target) return `the Klaviyo profiles with email ${target.email}`;
  return `the Klaviyo profiles with phone number ${target.phone_number}`;
}

function clientTarget(target: DeletionIdentifier): DeletionTarget {
  if ('profile_id' in target) return { id: target.profile_id };
  if ('email' in target) return { email: target.email };
  return { phoneNumber: target.phone_number };
}

function payloadOf(transfer: Transfer): PrivacyDeletionPayload | null {
  const raw = (typeof transfer.payload === 'string' ? JSON.parse(transfer.payload) : transfer.payload) as
    | Partial<PrivacyDeletionPayload>
    | null
    | undefined;
  const target = raw?.target as Record<string, unknown> | undefined;
  if (!target) return null;
  const keys = Object.keys(target).filter((k) => ['profile_id', 'email', 'phone_number'].includes(k));
  if (keys.length !== 1 || typeof target[keys[0]] !== 'string') return null;
  return raw as PrivacyDeletionPayload;
}

/**
 * Removes the subscription's customer links that the deletion makes stale: the requesting customer's, and
 * any other customer linked to the same profile id. Answers the links removed.
 */
async function removeStaleLinks(
  db: Kysely<Database>,
  subscriptionId: string,
  payload: PrivacyDeletionPayload,
  linkedProfileId: string | null,
): Promise<{ hub_id: string; klaviyo_id: string }[]> {
  const profileIds = new Set<string>();
  if ('profile_id' in payload.target) profileIds.add(payload.target.profile_id);
  if (linkedProfileId) profileIds.add(linkedProfileId);
  let q = db
    .selectFrom('links')
    .select(['hub_id', 'klaviyo_id'])
    .where('subscription_id', '=', subscriptionId)
    .where('table_name', '=', CUSTOMER_TABLE);
  const customerId = payload.customer_id;
  if (profileIds.size === 0 && customerId === undefined) return [];
  q = q.where((eb) =>
    eb.or([
      ...(profileIds.size > 0 ? [eb('klaviyo_id', 'in', [...profileIds])] : []),
      ...(customerId !== undefined ? [eb('hub_id', '=', customerId)] : []),
    ]),
  );
  const stale = await q.orderBy('hub_id').execute();
  for (const link of stale) {
    await db
      .deleteFrom('links')
      .where('subscription_id', '=', subscriptionId)
      .where('table_name', '=', CUSTOMER_TABLE)
      .where('hub_id', '=', link.hub_id)
      .execute();
  }
  return stale;
}

export function createPrivacyDeletionHandler(deps: Pick<FlowDeps, 'klaviyoFor' | 'links'>): FlowHandler {
  return {
    flow: PRIVACY_DELETION_FLOW,
    direction: 'from_hub',
    // Klaviyo allows few deletion requests a minute; small batches keep a lane's lease short.
    maxBatch: 10,
    async handle(batch, ctx) {
      const outcomes = new Map<string, Outcome>();
      // No usable credentials: every request of the batch waits (auth failures pause the subscription).
      const client = await clientForBatch(deps, ctx, batch, outcomes, 'requesting the profile deletion');
      if (!client) return outcomes;
      for (const transfer of batch) {
        if (ctx.signal.aborted) break;
        const payload = payloadOf(transfer);
        if (!payload) {
          outcomes.set(transfer.id, {
            status: 'failed',
            code: 'VALIDATION_FAILED',
            message: 'The deletion request names no profile id, email or phone number; request it again.',
            retryable: false,
          });
          continue;
        }
        const linkedProfileId =
          payload.customer_id !== undefined
            ? await deps.links.klaviyoIdOf(ctx.subscriptionId, CUSTOMER_TABLE, payload.customer_id)
            : null;
        ctx.step(transfer.id, {
          kind: 'request',
          message:
            `Requested deletion of ${describeIdentifier(payload.target)}` +
            (payload.customer_id !== undefined ? ` (hub customer ${payload.customer_id})` : '') +
            ' with POST /api/data-privacy-deletion-jobs.',
          data: { requested: payload.target, customer_id: payload.customer_id },
        });
        try {
          await client.dataPrivacy.requestDeletion(clientTarget(payload.target));
        } catch (err) {
          const outcome = outcomeForError(err, 'requesting the profile deletion');
          ctx.step(transfer.id, { kind: 'error', level: 'error', message: outcome.message });
          outcomes.set(transfer.id, outcome);
          continue;
        }
        ctx.step(transfer.id, {
          kind: 'response',
          message:
            'Klaviyo accepted the deletion request (202 Accepted). Klaviyo deletes every matching profile and ' +
            'its data on its own schedule; this cannot be undone.',
        });
        const removed = await removeStaleLinks(ctx.db, ctx.subscriptionId, payload, linkedProfileId);
        for (const link of removed) {
          ctx.step(transfer.id, {
            kind: 'note',
            message: `Removed the link of hub customer ${link.hub_id} to Klaviyo profile ${link.klaviyo_id}; the hub customer is kept.`,
          });
        }
        outcomes.set(transfer.id, { status: 'succeeded' });
      }
      return outcomes;
    },
  };
}
