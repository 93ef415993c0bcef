// The scheduled profile poll (SPEC S5.2) on the engine's scheduler: each page of changed profiles is
// queued as TO-hub transfers carrying the profile as read, and the watermark moves in the same
// transaction. Profiles already seen with the same (or a newer) `updated` — the overlap re-reads some,
// and our own writes to Klaviyo change others — are not queued again.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { PROFILE_TO_CUSTOMER_FLOW } from '../../transfer/flows.ts';
import type { Poller, PollContext } from '../../transfer/scheduler.ts';
import type { NewTransfer } from '../../transfer/types.ts';
import type { FlowDeps } from '../shared/flow-deps.ts';
import { PROFILE_FIELDS_FOR_HUB } from './handler.ts';
import { POLL_PAGE_SIZE, type PolledProfile, pollChangedProfiles, updatedMs } from './profile-poll.ts';
import { knownProfileVersions, rememberProfileVersions } from '../shared/profile-versions.ts';

export const PROFILE_POLLER = 'profiles';

/** The profiles of a page that are new to this subscription (not seen at this `updated` or later). */
export async function unseenProfiles(
  db: Kysely<Database>,
  subscriptionId: string,
  page: readonly PolledProfile[],
): Promise<PolledProfile[]> {
  const known = await knownProfileVersions(
    db,
    subscriptionId,
    page.map((profile) => profile.id),
  );
  const newest = new Map<string, PolledProfile>();
  for (const profile of page) {
    const at = updatedMs(profile) ?? Number.POSITIVE_INFINITY;
    const seen = known.get(profile.id);
    if (seen !== undefined && seen >= at) continue;
    const earlier = newest.get(profile.id);
    if (!earlier || (updatedMs(earlier) ?? 0) < at) newest.set(profile.id, profile);
  }
  return [...newest.values()];
}

export function createProfilePoller(deps: FlowDeps & { db: Kysely<Database> }): Poller {
  return {
    name: PROFILE_POLLER,
    async poll(ctx: PollContext) {
      const client = await deps.klaviyoFor(ctx.subscriptionId);
      await pollChangedProfiles({
        subscriptionCreatedAt: ctx.subscriptionCreatedAt,
        loadWatermark: async () => ctx.watermark ?? undefined,
        now: () => new Date(ctx.startedAt),
        signal: ctx.signal,
        fetchPage: (filter, next) =>
          client.profiles.list(
            next
              ? { next }
              : {
                  filter,
                  sort: 'updated',
                  pageSize: POLL_PAGE_SIZE,
                  additionalFields: PROFILE_FIELDS_FOR_HUB,
                },
          ),
        async queuePage(profiles, watermark) {
          const fresh = await unseenProfiles(deps.db, ctx.subscriptionId, profiles);
          const transfers: NewTransfer[] = fresh.map((profile) => ({
            subscription_id: ctx.subscriptionId,
            flow: PROFILE_TO_CUSTOMER_FLOW,
            direction: 'to_hub',
            trigger: 'poll',
            record_kind: 'profile',
            record_id: profile.id,
            payload: profile,
          }));
          await ctx.commitPage(transfers, watermark);
          // After the commit: a crash in between only means the next poll queues these again.
          await rememberProfileVersions(
            deps.db,
            ctx.subscriptionId,
            fresh.flatMap((profile) =>
              typeof profile.attributes.updated === 'string'
                ? [{ profileId: profile.id, updated: profile.attributes.updated }]
                : [],
            ),
          );
          return transfers.length;
        },
      });
    },
  };
}
