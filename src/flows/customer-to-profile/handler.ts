// Customer → Klaviyo Profile (SPEC S5.1). For a batch of one subscription's transfers: load the customers,
// find their links, match the unlinked ones by email then phone (a match is linked and updated, never
// duplicated), map each with the Update or Add collection, make the payload safe (E.164 phone or none),
// write the profiles — one by one without a backlog, through bulk import jobs with one — store the links,
// then run the custom-field actions (consent, lists) in batched calls. Every transfer ends with its own
// outcome and log steps.
import type { Customer } from '../../domain/hub.ts';
import type { ProfileAttributes } from '../../klaviyo/index.ts';
import type { MappingOutcome } from '../../mapping/engine.ts';
import { FROM_HUB_FLOW } from '../../transfer/flows.ts';
import type { Link } from '../../transfer/links.ts';
import type { FlowContext, FlowHandler, Outcome, Transfer } from '../../transfer/types.ts';
import {
  clientForBatch,
  groupByRecord,
  leaveAbortFailuresToQueue,
  settingsForBatch,
  missingRecordReason,
} from '../shared/batch-handling.ts';
import { chooseSendMode } from '../shared/batcher.ts';
import {
  DEFAULT_BULK_THRESHOLD,
  type FlowDeps,
  listDirectoryFor,
  pickCollection,
} from '../shared/flow-deps.ts';
import {
  collisionHandlingOf,
  collisionOutcome,
  linksOnCollision,
  profileCollisionMessage,
  releaseProfileLinks,
} from '../shared/collision.ts';
import { outcomeForError } from '../shared/outcomes.ts';
import { runProfileActions } from './profile-action-runner.ts';
import { isEmptyPlan, planProfileActions, type ProfileActionPlan } from './profile-actions.ts';
import { matchProfiles } from './profile-match.ts';
import { prepareProfileAttributes } from './profile-payload.ts';
import { rememberProfileVersions } from '../shared/profile-versions.ts';
import { type ProfileWrite, writeProfilesInBulk, writeProfilesSingly } from './profile-writer.ts';

export const CUSTOMER_TABLE = 'customer';

interface Pending {
  transfers: Transfer[];
  customer: Customer;
  linkedId?: string;
  matchedBy?: 'email' | 'phone';
  matchedOtherEmail?: string;
  collectionId?: string;
  write?: ProfileWrite;
  plan?: ProfileActionPlan;
}

/** Address children of a FROM-hub customer collection fill the profile's location and phone. */
function mergeChildren(outcome: Extract<MappingOutcome, { status: 'mapped' }>): Record<string, unknown> {
  const payload = { ...outcome.payload };
  for (const child of outcome.children) {
    const first = child.items.find((item) => item.status === 'mapped');
    if (first?.status !== 'mapped') continue;
    if (first.payload.location && payload.location === undefined) payload.location = first.payload.location;
    if (first.payload.phone_number && payload.phone_number === undefined) {
      payload.phone_number = first.payload.phone_number;
    }
  }
  return payload;
}

export function createCustomerToProfileHandler(deps: FlowDeps): FlowHandler {
  const threshold = deps.bulkThreshold ?? DEFAULT_BULK_THRESHOLD;
  return {
    flow: FROM_HUB_FLOW.customer,
    direction: 'from_hub',
    maxBatch: 2000,
    async handle(batch: Transfer[], ctx: FlowContext): Promise<Map<string, Outcome>> {
      const outcomes = new Map<string, Outcome>();
      const finish = (pending: Pending, outcome: Outcome) => {
        for (const transfer of pending.transfers) outcomes.set(transfer.id, outcome);
      };
      const stepAll = (
        pending: Pending,
        kind: 'mapped' | 'request' | 'response' | 'warning' | 'note',
        message: string,
        data?: unknown,
      ) => {
        for (const transfer of pending.transfers) {
          ctx.step(transfer.id, { kind, message, level: kind === 'warning' ? 'warn' : 'info', data });
        }
      };

      const client = await clientForBatch(deps, ctx, batch, outcomes);
      if (!client) return outcomes;
      const { subscription, collections, mappingContext } = await settingsForBatch(deps, ctx);
      const addCollection = pickCollection(collections, 'customer', 'from_hub', 'add');
      const updateCollection = pickCollection(collections, 'customer', 'from_hub', 'update');
      // The Add collection owns what an unlinked customer does when its profile already exists.
      const collision = collisionHandlingOf(addCollection);

      // One pending entry per customer: two queued transfers of one record share its outcome.
      const ids = [...new Set(batch.map((transfer) => transfer.record_id))];
      const customers = (await deps.hub.getMany('customer', ids)) as Map<string, Customer>;
      const byRecord = groupByRecord<Customer, Pending>(
        batch,
        customers,
        outcomes,
        await missingRecordReason(
          deps.hub,
          'customer',
          ids,
          customers,
          'The customer no longer exists in the hub; Klaviyo profiles are never deleted by the service.',
        ),
        (transfer, customer) => ({ transfers: [transfer], customer }),
      );
      const pendings = [...byRecord.values()];
      const links = await deps.links.klaviyoIdsOf(ctx.subscriptionId, CUSTOMER_TABLE, [...byRecord.keys()]);
      for (const pending of pendings) pending.linkedId = links.get(pending.customer.id);

      // Unlinked customers: find existing profiles by email, then phone, so they are linked, not duplicated.
      const unlinked = pendings.filter((pending) => !pending.linkedId);
      if (unlinked.length > 0 && updateCollection) {
        try {
          const matches = await matchProfiles(
            client,
            unlinked.map((pending) => {
              const phone = pending.customer.addresses?.find((a) => a.is_primary_billing)?.phone_number;
              const prepared = prepareProfileAttributes(
                { phone_number: phone ?? undefined, email: pending.customer.email_address ?? undefined },
                { record: pending.customer, defaultCountry: subscription.default_phone_country },
              );
              return {
                key: pending.customer.id,
                email: pending.customer.email_address ?? undefined,
                phone: prepared.ok ? (prepared.attributes.phone_number ?? undefined) : undefined,
              };
            }),
          );
          for (const pending of unlinked) {
            const match = matches.get(pending.customer.id);
            if (!match) continue;
            if (collision === 'error') {
              const message = profileCollisionMessage(
                pending.customer.id,
                match.profileId,
                `found by ${match.by}`,
                addCollection?.name ?? 'Add Klaviyo Profile FROM hub',
              );
              finish(pending, collisionOutcome(addCollection, message));
              byRecord.delete(pending.customer.id);
              continue;
            }
            pending.linkedId = match.profileId;
            pending.matchedBy = match.by;
            pending.matchedOtherEmail = match.otherEmail;
          }
        } catch (error) {
          const outcome = outcomeForError(error, 'looking up existing Klaviyo profiles');
          for (const pending of unlinked) {
            finish(pending, outcome);
            byRecord.delete(pending.customer.id);
          }
        }
      }

      // Map and prepare each payload.
      for (const pending of [...byRecord.values()]) {
        const collection = pending.linkedId ? updateCollection : addCollection;
        if (!collection) {
          finish(pending, {
            status: 'skipped',
            reason: `The subscription has no enabled ${pending.linkedId ? 'Update' : 'Add'} Klaviyo Profile FROM hub collection.`,
          });
          byRecord.delete(pending.customer.id);
          continue;
        }
        pending.collectionId = collection.id;
        if (pending.matchedOtherEmail) {
          stepAll(
            pending,
            'warning',
            `Duplicate prevention: Klaviyo profile ${pending.linkedId} was found by this customer's phone but has ` +
              `another email (${pending.matchedOtherEmail}); it is ${linksOnCollision(collision) ? 'linked' : 'updated'} ` +
              'and its email replaced as the rules say. ' +
              'Check whether two people share this phone number.',
          );
        }
        if (pending.matchedBy) {
          stepAll(
            pending,
            'note',
            linksOnCollision(collision)
              ? `Linked to the existing Klaviyo profile ${pending.linkedId}, found by ${pending.matchedBy}; it is updated, not duplicated.`
              : `Found the existing Klaviyo profile ${pending.linkedId} by ${pending.matchedBy}; it is updated, not duplicated, and not linked (collision handling update_no_link).`,
          );
        }
        const mapped = await collection.mapAsync(pending.customer, mappingContext);
        for (const warning of mapped.warnings) stepAll(pending, 'warning', warning);
        if (mapped.status === 'skipped') {
          finish(pending, { status: 'skipped', reason: mapped.reason, collection_id: collection.id });
          byRecord.delete(pending.customer.id);
          continue;
        }
        if (mapped.status === 'failed') {
          const failed = outcomeForError(mapped.error, `mapping collection '${collection.name}'`);
          finish(pending, { ...failed, collection_id: collection.id } as Outcome);
          byRecord.delete(pending.customer.id);
          continue;
        }
        const plan = planProfileActions(mapped.actions);
        const payload = mergeChildren(mapped);
        if (Object.keys(plan.properties).length > 0) {
          payload.properties = {
            ...(payload.properties as Record<string, unknown> | undefined),
            ...plan.properties,
          };
        }
        const prepared = prepareProfileAttributes(payload, {
          record: pending.customer,
          defaultCountry: subscription.default_phone_country,
          linkedProfileId: pending.linkedId,
        });
        if (!prepared.ok) {
          finish(pending, {
            status: 'failed',
            code: prepared.code,
            message: prepared.message,
            retryable: false,
            collection_id: collection.id,
          });
          byRecord.delete(pending.customer.id);
          continue;
        }
        for (const warning of prepared.warnings) stepAll(pending, 'warning', warning);
        stepAll(pending, 'mapped', `Mapped by collection '${collection.name}'`, prepared.attributes);
        pending.plan = plan;
        pending.write = {
          key: pending.customer.id,
          profileId: pending.linkedId,
          attributes: prepared.attributes,
          // Linked and matched customers already made their choice; only a create can still collide.
          collision: pending.linkedId ? undefined : collision,
          attributesForUpdate:
            updateCollection && updateCollection !== collection
              ? async () => {
                  const again = await updateCollection.mapAsync(pending.customer, mappingContext);
                  if (again.status !== 'mapped') return undefined;
                  const redo = prepareProfileAttributes(mergeChildren(again), {
                    record: pending.customer,
                    defaultCountry: subscription.default_phone_country,
                    linkedProfileId: 'known',
                  });
                  return redo.ok ? (redo.attributes as ProfileAttributes) : undefined;
                }
              : undefined,
        };
      }

      // Write the profiles.
      const ready = [...byRecord.values()].filter((pending) => pending.write);
      const mode = chooseSendMode(Math.max(ctx.backlog, ready.length), threshold);
      const writes = ready.map((pending) => pending.write!);
      const results =
        mode === 'bulk'
          ? await writeProfilesInBulk(client, writes, { signal: ctx.signal, jobPollMs: deps.jobPollMs })
          : await writeProfilesSingly(client, writes);
      const newLinks: Link[] = [];
      const claims: { hubId: string; profileId: string }[] = [];
      const versions: { profileId: string; updated: string }[] = [];
      const actionItems: { key: string; profileId: string; email?: string; plan: ProfileActionPlan }[] = [];
      ready.forEach((pending, index) => {
        const result = results[index];
        for (const warning of result.warnings) stepAll(pending, 'warning', warning);
        if (!result.ok && result.existingProfileId && pending.write?.collision === 'error') {
          const message = profileCollisionMessage(
            pending.customer.id,
            result.existingProfileId,
            'Klaviyo answered duplicate_profile to the create',
            addCollection?.name ?? 'Add Klaviyo Profile FROM hub',
          );
          finish(pending, collisionOutcome(addCollection, message));
          return;
        }
        if (!result.ok) {
          finish(pending, {
            ...outcomeForError(
              result.error,
              pending.write?.profileId ? 'updating the Klaviyo profile' : 'creating the Klaviyo profile',
            ),
            collection_id: pending.collectionId,
          } as Outcome);
          return;
        }
        stepAll(
          pending,
          'response',
          `${result.created ? 'Created' : 'Updated'} Klaviyo profile ${result.profileId} (${mode === 'bulk' ? 'bulk import job' : 'single call'})`,
        );
        const collided = pending.matchedBy !== undefined || result.existingProfileId !== undefined;
        if (collided && collision === 'remove_and_link') {
          claims.push({ hubId: pending.customer.id, profileId: result.profileId });
        }
        if (collided && !linksOnCollision(collision)) {
          stepAll(
            pending,
            'note',
            `Not linked to Klaviyo profile ${result.profileId} (collision handling update_no_link).`,
          );
        } else if (links.get(pending.customer.id) !== result.profileId) {
          newLinks.push({
            subscription_id: ctx.subscriptionId,
            table_name: CUSTOMER_TABLE,
            hub_id: pending.customer.id,
            klaviyo_id: result.profileId,
          });
        }
        if (result.updated) versions.push({ profileId: result.profileId, updated: result.updated });
        if (pending.plan && !isEmptyPlan(pending.plan)) {
          actionItems.push({
            key: pending.customer.id,
            profileId: result.profileId,
            email: pending.write?.attributes.email ?? undefined,
            plan: pending.plan,
          });
        } else if (pending.plan?.warnings.length) {
          for (const warning of pending.plan.warnings) stepAll(pending, 'warning', warning);
        }
        finish(pending, { status: 'succeeded', collection_id: pending.collectionId });
      });
      if (newLinks.length > 0) await deps.links.set(newLinks, ctx.db);
      if (claims.length > 0) {
        const released = await releaseProfileLinks(ctx.db, ctx.subscriptionId, CUSTOMER_TABLE, claims);
        for (const { hubId, profileId } of released) {
          const claimant = claims.find((claim) => claim.profileId === profileId)!;
          stepAll(
            byRecord.get(claimant.hubId)!,
            'note',
            `Removed the link of hub customer ${hubId} to Klaviyo profile ${profileId}: the profile is linked to this customer now (collision handling remove_and_link).`,
          );
        }
      }
      if (versions.length > 0) await rememberProfileVersions(ctx.db, ctx.subscriptionId, versions);

      // Custom-field actions, batched across the whole batch.
      if (actionItems.length > 0) {
        const reports = await runProfileActions(client, actionItems, {
          lists: listDirectoryFor(client),
          createMissingLists: subscription.create_missing_lists,
        });
        for (const item of actionItems) {
          const pending = byRecord.get(item.key)!;
          const report = reports.get(item.key);
          if (!report) continue;
          for (const warning of report.warnings) stepAll(pending, 'warning', warning);
          if (report.done.length > 0) stepAll(pending, 'response', `Profile ${report.done.join('; ')}`);
          if (report.error !== undefined) {
            finish(pending, {
              ...outcomeForError(report.error, 'applying the consent and list fields'),
              collection_id: pending.collectionId,
            } as Outcome);
          }
        }
      }

      leaveAbortFailuresToQueue(outcomes, ctx.signal);
      return outcomes;
    },
  };
}
