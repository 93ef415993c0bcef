// A dry run of a FROM-hub collection (issue 14, "a safe first sync"): before a large sync or a backfill,
// what would happen to each selected record — create, update, skip or fail, and why — without writing
// anything to Klaviyo or to the service's own store (no transfer, no link, no log line).
//
// What it may ask Klaviyo: for customers, the same profile look-ups by email and phone the real sync makes
// before it creates (GET /api/profiles, reads only), so "update" counts the customers Klaviyo already
// has; `lookups: false` uses the stored links alone and asks Klaviyo nothing. It never calls a write
// operation. It maps each record with the subscription's real collections (the same Add/Update choice,
// the same filters, formulas and phone rules as the sync), so its reasons are the sync's reasons
// (docs/transfers.md).
import type { Customer, HubKind } from '../domain/hub.ts';
import type { HubStore } from '../hub/store.ts';
import type { KlaviyoClient } from '../klaviyo/index.ts';
import type { CompiledCollection } from '../mapping/engine.ts';
import { collisionHandlingOf, profileCollisionMessage } from '../flows/shared/collision.ts';
import { CUSTOMER_TABLE, mergeChildren } from '../flows/customer-to-profile/handler.ts';
import { type FlowSubscription, mappingContextOf, pickCollection } from '../flows/shared/flow-deps.ts';
import { outcomeForError } from '../flows/shared/outcomes.ts';
import { matchProfiles, type ProfileMatch } from '../flows/customer-to-profile/profile-match.ts';
import { prepareProfileAttributes } from '../flows/customer-to-profile/profile-payload.ts';
import type { LinkRepository } from '../transfer/links.ts';

export type DryRunOutcome = 'create' | 'update' | 'skip' | 'fail';

export interface DryRunReason {
  outcome: DryRunOutcome;
  /** The error code a failure would carry (docs/errors.md); none for the others. */
  code: string | null;
  reason: string;
  count: number;
  /** A few of the record ids, to look at. */
  examples: string[];
}

export interface DryRunAnswer {
  collection: { id: string; name: string; type: string };
  /** How the records were chosen, and how many were looked at. */
  scope: 'ids' | 'sample' | 'all';
  records: number;
  /** True when `all` met the cap and stopped (the counts are for the first `records`). */
  truncated: boolean;
  counts: Record<DryRunOutcome, number>;
  reasons: DryRunReason[];
  /** What it asked Klaviyo: profile look-ups (reads) made, and writes — always 0. */
  klaviyo: { lookups: boolean; reads: number; writes: 0 };
}

export interface DryRunDeps {
  hub: HubStore;
  links: LinkRepository;
  client: () => Promise<KlaviyoClient>;
  subscription: FlowSubscription;
  collections: readonly CompiledCollection[];
}

export interface DryRunSelection {
  collection: CompiledCollection & { id: string };
  ids?: string[];
  /** The first n records of the collection's kind (by id). */
  sample?: number;
  all?: boolean;
  lookups?: boolean;
}

/** Most records one dry run looks at with `all` (the answer says when it stopped there). */
export const DRY_RUN_MAX_RECORDS = 100_000;
const EXAMPLES = 5;
const PAGE = 1000;
const KIND_OF: Record<string, HubKind | undefined> = {
  customer: 'customer',
  transaction: 'transaction',
  product: 'product',
};
const LINK_TABLE: Record<string, string> = {
  customer: CUSTOMER_TABLE,
  transaction: 'transaction',
  product: 'product',
};

class Tally {
  readonly counts: Record<DryRunOutcome, number> = { create: 0, update: 0, skip: 0, fail: 0 };
  private readonly byReason = new Map<string, DryRunReason>();

  add(id: string, outcome: DryRunOutcome, reason: string, code: string | null = null) {
    this.counts[outcome]++;
    const key = `${outcome}\0${code ?? ''}\0${reason}`;
    let entry = this.byReason.get(key);
    if (!entry) {
      entry = { outcome, code, reason, count: 0, examples: [] };
      this.byReason.set(key, entry);
    }
    entry.count++;
    if (entry.examples.length < EXAMPLES) entry.examples.push(id);
  }

  reasons(): DryRunReason[] {
    const order: DryRunOutcome[] = ['fail', 'skip', 'update', 'create'];
    return [...this.byReason.values()].sort(
      (a, b) => order.indexOf(a.outcome) - order.indexOf(b.outcome) || b.count - a.count,
    );
  }
}

/**
 * Messages name the record's own values (a phone number, an email, an id): those are replaced so that
 * records failing for one reason are counted together. Quoted names without digits or @ (a collection's
 * name, a field) stay.
 */
function shape(message: string): string {
  return message
    .replace(/'[^']*[\d@][^']*'/g, "'…'")
    .replace(/\s+/g, ' ')
    .trim();
}

async function* selectedRecords(
  hub: HubStore,
  kind: HubKind,
  selection: DryRunSelection,
): AsyncGenerator<{ ids: string[]; records: Map<string, unknown> }> {
  if (selection.ids) {
    for (let i = 0; i < selection.ids.length; i += PAGE) {
      const ids = selection.ids.slice(i, i + PAGE);
      yield { ids, records: (await hub.getMany(kind, ids)) as Map<string, unknown> };
    }
    return;
  }
  const wanted = selection.all ? DRY_RUN_MAX_RECORDS : (selection.sample ?? 100);
  let cursor: string | undefined;
  let seen = 0;
  while (seen < wanted) {
    const page = await hub.list(kind, { limit: Math.min(PAGE, wanted - seen), cursor });
    if (page.data.length === 0) return;
    const records = new Map(page.data.map((r) => [String((r as { id: string }).id), r as unknown]));
    seen += records.size;
    yield { ids: [...records.keys()], records };
    if (!page.next_cursor) return;
    cursor = page.next_cursor;
  }
}

export async function dryRun(deps: DryRunDeps, selection: DryRunSelection): Promise<DryRunAnswer> {
  const { collection } = selection;
  const kind = KIND_OF[collection.type];
  if (collection.direction !== 'from_hub' || !kind) {
    throw new Error(
      `dry runs cover FROM-hub customer, transaction and product collections, not ${collection.type}`,
    );
  }
  const tally = new Tally();
  const lookups = selection.lookups !== false && kind === 'customer';
  let reads = 0;
  let records = 0;
  let client: KlaviyoClient | undefined;
  const context = { subscription: mappingContextOf(deps.subscription) };
  // The same Add/Update pair the flow uses for this record kind.
  const add = pickCollection(deps.collections, collection.type, 'from_hub', 'add');
  const update = pickCollection(deps.collections, collection.type, 'from_hub', 'update');

  for await (const page of selectedRecords(deps.hub, kind, selection)) {
    records += page.ids.length;
    const present = page.ids.filter((id) => page.records.has(id));
    for (const id of page.ids) {
      if (!page.records.has(id)) tally.add(id, 'skip', `Not in the hub (no ${kind} with this id).`);
    }
    const links = await deps.links.klaviyoIdsOf(deps.subscription.id, LINK_TABLE[collection.type], present);
    let matches = new Map<string, ProfileMatch>();
    const unlinked = present.filter((id) => !links.has(id));
    let lookupFailed: { code: string; message: string } | null = null;
    if (lookups && unlinked.length > 0 && update) {
      try {
        client ??= await deps.client();
        const counting = countingReads(client, () => reads++);
        matches = await matchProfiles(
          counting,
          unlinked.map((id) => {
            const customer = page.records.get(id) as Customer;
            const phone = customer.addresses?.find((a) => a.is_primary_billing)?.phone_number;
            const prepared = prepareProfileAttributes(
              { phone_number: phone ?? undefined, email: customer.email_address ?? undefined },
              { record: customer, defaultCountry: deps.subscription.default_phone_country },
            );
            return {
              key: id,
              email: customer.email_address ?? undefined,
              phone: prepared.ok ? (prepared.attributes.phone_number ?? undefined) : undefined,
            };
          }),
        );
      } catch (error) {
        const outcome = outcomeForError(error, 'looking up existing Klaviyo profiles');
        lookupFailed = {
          code: outcome.status === 'failed' ? outcome.code : 'INTERNAL_ERROR',
          message: outcome.status === 'failed' ? outcome.message : String(error),
        };
      }
    }
    for (const id of present) {
      const record = page.records.get(id);
      const linkedId = links.get(id);
      const match = matches.get(id);
      if (!linkedId && lookupFailed) {
        tally.add(id, 'fail', shape(lookupFailed.message), lookupFailed.code);
        continue;
      }
      if (!linkedId && match && collisionHandlingOf(add) === 'error') {
        tally.add(
          id,
          'fail',
          shape(profileCollisionMessage(id, match.profileId, `found by ${match.by}`, add?.name ?? 'Add')),
          'RECORD_COLLISION',
        );
        continue;
      }
      const existing = Boolean(linkedId || match);
      const chosen = existing ? update : add;
      if (!chosen) {
        tally.add(
          id,
          'skip',
          `The subscription has no enabled ${existing ? 'Update' : 'Add'} collection for ${collection.type} records.`,
        );
        continue;
      }
      const mapped = await chosen.mapAsync(record, context);
      if (mapped.status === 'skipped') {
        tally.add(id, 'skip', shape(mapped.reason));
        continue;
      }
      if (mapped.status === 'failed') {
        const failed = outcomeForError(mapped.error, `mapping collection '${chosen.name}'`);
        tally.add(
          id,
          'fail',
          shape(failed.status === 'failed' ? failed.message : String(mapped.error)),
          failed.status === 'failed' ? failed.code : null,
        );
        continue;
      }
      if (kind === 'customer') {
        const prepared = prepareProfileAttributes(mergeChildren(mapped), {
          record,
          defaultCountry: deps.subscription.default_phone_country,
          linkedProfileId: linkedId ?? match?.profileId,
        });
        if (!prepared.ok) {
          tally.add(id, 'fail', shape(prepared.message), prepared.code);
          continue;
        }
      }
      if (kind === 'transaction') {
        // Orders become events: Klaviyo only ever adds them (a sent event is never updated).
        tally.add(id, 'create', 'Events would be sent for this order.');
      } else if (linkedId) {
        tally.add(
          id,
          'update',
          `Linked to a Klaviyo ${kind === 'customer' ? 'profile' : 'catalog item'}: it would be updated.`,
        );
      } else if (match) {
        tally.add(
          id,
          'update',
          `Klaviyo already has a profile with this ${match.by}: it would be linked and updated.`,
        );
      } else {
        tally.add(
          id,
          'create',
          lookups
            ? 'Not linked, and Klaviyo has no profile with its email or phone: it would be created.'
            : kind === 'customer'
              ? 'Not linked: it would be created, or linked to a profile Klaviyo already has with its email or phone (look-ups were off).'
              : 'Not linked: it would be created.',
        );
      }
    }
  }
  return {
    collection: { id: collection.id, name: collection.name, type: collection.type },
    scope: selection.ids ? 'ids' : selection.all ? 'all' : 'sample',
    records,
    truncated: Boolean(selection.all && records >= DRY_RUN_MAX_RECORDS),
    counts: tally.counts,
    reasons: tally.reasons(),
    klaviyo: { lookups, reads, writes: 0 },
  };
}

/**
 * The client as the dry run hands it to the profile look-up: only `profiles.list` (a read) is there, so
 * nothing in the dry run can reach a write operation even by mistake; each call is counted.
 */
function countingReads(client: KlaviyoClient, onRead: () => void): KlaviyoClient {
  const profiles = {
    list: (...args: Parameters<KlaviyoClient['profiles']['list']>) => {
      onRead();
      return client.profiles.list(...args);
    },
  };
  return { profiles } as unknown as KlaviyoClient;
}
