// Klaviyo Profile → hub Customer (SPEC S5.2). A transfer names a Klaviyo profile (polled, notified by a
// hook, or synced by hand); polled ones carry the profile as read, the others are read now, 100 per call.
// A linked profile updates its customer; an unlinked one is matched by email, else creates a customer and
// is linked. The profile's location, name, organization and phone become the customer's address through
// the Address child collections. Hub writes carry this subscription as their origin, so the FROM-hub flow
// does not send them straight back to the same Klaviyo account.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Customer, type CustomerAddress, CustomerInput } from '../../domain/hub.ts';
import type { KlaviyoClient, KlaviyoResource, ProfileAttributes } from '../../klaviyo/index.ts';
import type { CompiledCollection } from '../../mapping/engine.ts';
import { plainIssueMessage } from '../../domain/validation-messages.ts';
import type { Database } from '../../store/schema.ts';
import { PROFILE_TO_CUSTOMER_FLOW } from '../../transfer/flows.ts';
import type { FlowContext, FlowHandler, Outcome, StepInput, Transfer } from '../../transfer/types.ts';
import { chunkWithinLimits } from '../shared/batcher.ts';
import { collisionHandlingOf, collisionOutcome, customerCollisionMessage } from '../shared/collision.ts';
import { settingsForBatch } from '../shared/batch-handling.ts';
import { type FlowDeps, pickCollection } from '../shared/flow-deps.ts';
import { HubThrottle } from '../shared/hub-throttle.ts';
import { outcomeForError } from '../shared/outcomes.ts';
import { rememberProfileVersions } from '../shared/profile-versions.ts';

export const PROFILE_FIELDS_FOR_HUB = ['subscriptions'];
const CUSTOMER_TABLE = 'customer';

type Profile = KlaviyoResource<ProfileAttributes & Record<string, unknown>>;

/** The profile as TO-hub collections read it: its attributes with its id. */
export function profileSource(profile: Profile): Record<string, unknown> {
  return { ...profile.attributes, id: profile.id };
}

async function hubIdsOfProfiles(db: Kysely<Database>, subscriptionId: string, profileIds: string[]) {
  const found = new Map<string, string>();
  for (let i = 0; i < profileIds.length; i += 300) {
    const rows = await db
      .selectFrom('links')
      .select(['hub_id', 'klaviyo_id'])
      .where('subscription_id', '=', subscriptionId)
      .where('table_name', '=', CUSTOMER_TABLE)
      .where('klaviyo_id', 'in', profileIds.slice(i, i + 300))
      .orderBy('created_at')
      .execute();
    for (const row of rows) if (!found.has(row.klaviyo_id)) found.set(row.klaviyo_id, row.hub_id);
  }
  return found;
}

/** Profiles by id, 100 per call (`any(id,[…])`), with their consent. */
async function readProfiles(client: KlaviyoClient, ids: string[]): Promise<Map<string, Profile>> {
  const found = new Map<string, Profile>();
  for (const chunk of chunkWithinLimits(ids, { maxItems: 100 })) {
    let next: string | undefined;
    do {
      const page = await client.profiles.list(
        next
          ? { next }
          : {
              filter: `any(id,[${chunk.map((id) => `"${id.replace(/["\\]/g, '')}"`).join(',')}])`,
              additionalFields: PROFILE_FIELDS_FOR_HUB,
              pageSize: 100,
            },
      );
      for (const profile of page.data) found.set(profile.id, profile as Profile);
      next = page.next;
    } while (next);
  }
  return found;
}

function mergeCustomFields(
  existing: Customer['custom_fields'],
  incoming: unknown,
): Customer['custom_fields'] {
  if (!Array.isArray(incoming)) return existing;
  const merged = new Map((existing ?? []).map((field) => [field.custom_field_name, field]));
  for (const field of incoming as { custom_field_name: string; value: unknown }[]) {
    const value = field.value;
    const scalar =
      value === null || ['string', 'number', 'boolean'].includes(typeof value)
        ? value
        : JSON.stringify(value);
    merged.set(field.custom_field_name, {
      ...merged.get(field.custom_field_name),
      custom_field_name: field.custom_field_name,
      value: scalar as string,
    });
  }
  return [...merged.values()];
}

/** The address child's payload placed on the customer: the primary billing address is kept in step. */
function mergeAddress(
  addresses: CustomerAddress[] | undefined,
  address: Record<string, unknown>,
  adding: boolean,
) {
  const list = [...(addresses ?? [])];
  const at =
    list.findIndex((a) => a.is_primary_billing) >= 0
      ? list.findIndex((a) => a.is_primary_billing)
      : adding
        ? -1
        : 0;
  if (at >= 0 && list[at]) list[at] = { ...list[at], ...address };
  else list.push({ is_primary_billing: true, ...address } as CustomerAddress);
  return list;
}

export function createProfileToCustomerHandler(deps: FlowDeps): FlowHandler {
  const throttle = deps.hubThrottle ?? new HubThrottle();
  return {
    flow: PROFILE_TO_CUSTOMER_FLOW,
    direction: 'to_hub',
    maxBatch: 500,
    async handle(batch: Transfer[], ctx: FlowContext): Promise<Map<string, Outcome>> {
      const outcomes = new Map<string, Outcome>();
      const { subscription, collections, mappingContext } = await settingsForBatch(deps, ctx);
      const addCollection = pickCollection(collections, 'customer', 'to_hub', 'add');
      const updateCollection = pickCollection(collections, 'customer', 'to_hub', 'update');
      // The Add collection owns what an unlinked profile does when its email is already a hub customer.
      const collision = collisionHandlingOf(addCollection);
      const step = (transfers: Transfer[], input: StepInput) => {
        for (const transfer of transfers) ctx.step(transfer.id, input);
      };

      // One entry per profile; polled transfers bring the profile, the others are read now.
      const byProfile = new Map<string, { transfers: Transfer[]; profile?: Profile }>();
      for (const transfer of batch) {
        const entry = byProfile.get(transfer.record_id) ?? { transfers: [] };
        entry.transfers.push(transfer);
        const carried = transfer.payload as Profile | null;
        if (
          carried &&
          typeof carried === 'object' &&
          carried.id === transfer.record_id &&
          carried.attributes
        ) {
          entry.profile = carried;
        }
        byProfile.set(transfer.record_id, entry);
      }
      const missing = [...byProfile].filter(([, entry]) => !entry.profile).map(([id]) => id);
      if (missing.length > 0) {
        try {
          const client = await deps.klaviyoFor(ctx.subscriptionId);
          const read = await readProfiles(client, missing);
          for (const id of missing) {
            const entry = byProfile.get(id)!;
            entry.profile = read.get(id);
            if (!entry.profile) {
              for (const transfer of entry.transfers) {
                outcomes.set(transfer.id, {
                  status: 'failed',
                  code: 'KLAVIYO_NOT_FOUND',
                  message: `Klaviyo has no profile with id '${id}'. Check the id (Klaviyo profile ids look like 01H8TVABCDEF1234567890).`,
                  retryable: false,
                });
              }
              byProfile.delete(id);
            }
          }
        } catch (error) {
          const outcome = outcomeForError(error, 'reading the Klaviyo profiles');
          for (const id of missing) {
            for (const transfer of byProfile.get(id)!.transfers) outcomes.set(transfer.id, outcome);
            byProfile.delete(id);
          }
        }
      }

      const links = await hubIdsOfProfiles(ctx.db, ctx.subscriptionId, [...byProfile.keys()]);
      const linkedCustomers = (await deps.hub.getMany('customer', [...links.values()])) as Map<
        string,
        Customer
      >;
      const writes: {
        input: Record<string, unknown>;
        hubId: string;
        created: boolean;
        profileId: string;
        transfers: Transfer[];
        collection: CompiledCollection;
        link: boolean;
      }[] = [];
      for (const [profileId, entry] of byProfile) {
        const profile = entry.profile!;
        const source = profileSource(profile);
        let customer: Customer | undefined;
        const linkedHubId = links.get(profileId);
        if (linkedHubId) customer = linkedCustomers.get(linkedHubId);
        let link = !linkedHubId || !customer;
        if (!customer && typeof source.email === 'string' && source.email) {
          const matches = (await deps.hub.findByEmail('customer', source.email)) as Customer[];
          customer = matches[0];
          if (customer && collision === 'error') {
            const message = customerCollisionMessage(
              profileId,
              customer.id,
              addCollection?.name ?? 'Add Klaviyo Profile TO hub',
            );
            for (const transfer of entry.transfers) {
              outcomes.set(transfer.id, collisionOutcome(addCollection, message));
            }
            continue;
          }
          const otherLink = customer
            ? await deps.links.klaviyoIdOf(ctx.subscriptionId, CUSTOMER_TABLE, customer.id)
            : null;
          if (customer && collision === 'update_no_link') {
            link = false;
            step(entry.transfers, {
              kind: 'note',
              message: `Matched hub customer ${customer.id} by email; it is updated, not linked (collision handling update_no_link).`,
            });
          } else if (customer && collision === 'remove_and_link') {
            step(entry.transfers, {
              kind: 'note',
              message:
                `Matched hub customer ${customer.id} by email; it is updated and linked` +
                (otherLink && otherLink !== profileId
                  ? `, replacing its link to Klaviyo profile ${otherLink} (collision handling remove_and_link).`
                  : '.'),
            });
          } else if (customer) {
            step(entry.transfers, {
              kind: 'note',
              message: `Matched hub customer ${customer.id} by email; it is updated and linked.`,
            });
            if (otherLink && otherLink !== profileId) {
              link = false;
              step(entry.transfers, {
                kind: 'warning',
                level: 'warn',
                message: `Duplicate prevention: hub customer ${customer.id} is already linked to Klaviyo profile ${otherLink}; profile ${profileId} has the same email and updates it without taking the link. Merge the two profiles in Klaviyo.`,
              });
            }
          }
        }
        const collection = customer ? updateCollection : addCollection;
        if (!collection) {
          for (const transfer of entry.transfers) {
            outcomes.set(transfer.id, {
              status: 'skipped',
              reason: `The subscription has no enabled ${customer ? 'Update' : 'Add'} Klaviyo Profile TO hub collection.`,
            });
          }
          continue;
        }
        const mapped = await collection.mapAsync(source, mappingContext);
        for (const warning of mapped.warnings)
          step(entry.transfers, { kind: 'warning', level: 'warn', message: warning });
        if (mapped.status !== 'mapped') {
          const outcome: Outcome =
            mapped.status === 'skipped'
              ? { status: 'skipped', reason: mapped.reason, collection_id: collection.id }
              : ({
                  ...outcomeForError(mapped.error, `mapping collection '${collection.name}'`),
                  collection_id: collection.id,
                } as Outcome);
          for (const transfer of entry.transfers) outcomes.set(transfer.id, outcome);
          continue;
        }
        const { custom_fields: incomingFields, ...fields } = mapped.payload;
        const base: Record<string, unknown> = customer ? { ...customer } : {};
        delete base.version;
        delete base.updated_datetime;
        let input: Record<string, unknown> = {
          ...base,
          ...fields,
          custom_fields: mergeCustomFields(customer?.custom_fields, incomingFields),
        };
        if (!input.custom_fields) delete input.custom_fields;
        for (const child of mapped.children) {
          const item = child.items[0];
          if (item?.status === 'mapped')
            input.addresses = mergeAddress(input.addresses as CustomerAddress[], item.payload, !customer);
          else if (item?.status === 'failed')
            step(entry.transfers, {
              kind: 'warning',
              level: 'warn',
              message: `Address not written: ${item.error.message}`,
            });
        }
        const parsed = CustomerInput.safeParse(input);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const field = issue.path.join('.');
          for (const transfer of entry.transfers) {
            outcomes.set(transfer.id, {
              status: 'failed',
              code: 'VALIDATION_FAILED',
              message: `The hub refused the customer made from Klaviyo profile ${profileId}: ${plainIssueMessage(issue, field || 'customer')}. Correct the profile in Klaviyo or the collection '${collection.name}'.`,
              retryable: false,
              collection_id: collection.id,
            });
          }
          continue;
        }
        // New customers get their id here, so links and outcomes never depend on the write's ordering.
        const hubId = customer?.id ?? randomUUID();
        input = {
          ...(parsed.data as Record<string, unknown>),
          id: hubId,
          ...(customer ? { created_datetime: customer.created_datetime } : {}),
        };
        step(entry.transfers, {
          kind: 'mapped',
          message: `Mapped by collection '${collection.name}'`,
          data: input,
        });
        writes.push({
          input,
          hubId,
          created: !customer,
          profileId,
          transfers: entry.transfers,
          collection,
          link,
        });
      }

      // Written in chunks the hub throttle allows; a shutdown while waiting leaves the rest to the queue.
      let written = 0;
      while (written < writes.length) {
        let room = writes.length - written;
        if (subscription.hub_throttle) {
          try {
            room = await throttle.take(ctx.subscriptionId, room, subscription.hub_throttle, ctx.signal);
          } catch (error) {
            if (ctx.signal.aborted) break;
            throw error;
          }
        }
        const part = writes.slice(written, written + room);
        written += part.length;
        await ctx.db.transaction().execute(async (trx) => {
          await deps.hub.writeInTransaction(
            trx,
            'customer',
            part.map((w) => w.input),
            { originSubscriptionId: ctx.subscriptionId },
          );
          const newLinks = part
            .filter((w) => w.link)
            .map((w) => ({
              subscription_id: ctx.subscriptionId,
              table_name: CUSTOMER_TABLE,
              hub_id: w.hubId,
              klaviyo_id: w.profileId,
            }));
          if (newLinks.length > 0) await deps.links.set(newLinks, trx);
          for (const w of part) {
            step(w.transfers, {
              kind: 'response',
              message: `${w.created ? 'Created' : 'Updated'} hub customer ${w.hubId}`,
            });
            for (const transfer of w.transfers) {
              outcomes.set(transfer.id, { status: 'succeeded', collection_id: w.collection.id });
            }
          }
        });
      }
      if (written > 0) {
        const versions = writes
          .slice(0, written)
          .map((w) => ({
            profileId: w.profileId,
            updated: String(byProfile.get(w.profileId)?.profile?.attributes.updated ?? ''),
          }))
          .filter((v) => v.updated);
        if (versions.length > 0) await rememberProfileVersions(ctx.db, ctx.subscriptionId, versions);
      }
      return outcomes;
    },
  };
}
