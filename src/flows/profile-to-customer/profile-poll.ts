// Polling Klaviyo for changed profiles (SPEC S5.2). Klaviyo sends no change notifications, so each poll
// reads `updated > watermark − overlap`, oldest first, page by page. The watermark moves only after a page
// is durably queued, and never past the moment the poll started: a profile changed while we page may be
// missed by Klaviyo's ordering, so the next poll reads from that moment again. The overlap catches
// profiles whose `updated` became visible late; profiles seen twice are dropped by (id, updated).
import type { KlaviyoResource, Page, ProfileAttributes } from '../../klaviyo/index.ts';

export const POLL_PAGE_SIZE = 100;
/** How far behind the watermark each poll starts reading, for changes Klaviyo makes visible late. */
export const POLL_OVERLAP_MS = 2 * 60_000;
export const WATERMARK_NAME = 'profiles.updated';

export type PolledProfile = KlaviyoResource<ProfileAttributes & { updated?: string }>;

/** Klaviyo filter datetimes: ISO 8601 to the second, UTC. */
export function klaviyoDatetime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function pollFilter(watermark: string, overlapMs = POLL_OVERLAP_MS): string {
  const since = Date.parse(watermark) - overlapMs;
  return `greater-than(updated,${klaviyoDatetime(since)})`;
}

export function updatedMs(profile: PolledProfile): number | undefined {
  const value = profile.attributes?.updated;
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The watermark after a page: the page's newest `updated`, but never before the current watermark and
 * never past the poll's start.
 */
export function advanceWatermark(
  current: string,
  page: readonly PolledProfile[],
  pollStartedAt: Date,
): string {
  let newest = Date.parse(current);
  for (const profile of page) {
    const ms = updatedMs(profile);
    if (ms !== undefined && ms > newest) newest = ms;
  }
  const capped = Math.min(newest, pollStartedAt.getTime());
  return new Date(Math.max(capped, Date.parse(current))).toISOString();
}

export interface PollDependencies {
  /** One page of `GET /api/profiles` for the filter, or the page at `next`. */
  fetchPage(filter: string, next: string | undefined): Promise<Page<ProfileAttributes>>;
  /** The stored watermark, or undefined before the first poll. */
  loadWatermark(): Promise<string | undefined>;
  /** When the subscription was created: where the first poll starts (there is no initialization). */
  subscriptionCreatedAt: string;
  /**
   * Durably queue the page's profiles (deduplicated by id and updated) and store the new watermark, in
   * one transaction. Answers how many transfers were queued.
   */
  queuePage(profiles: PolledProfile[], watermark: string): Promise<number>;
  now?: () => Date;
  signal?: AbortSignal;
  overlapMs?: number;
}

export interface PollResult {
  pages: number;
  profilesRead: number;
  queued: number;
  watermark: string;
}

export async function pollChangedProfiles(deps: PollDependencies): Promise<PollResult> {
  const pollStartedAt = (deps.now ?? (() => new Date()))();
  const stored = await deps.loadWatermark();
  const start = stored ?? new Date(Date.parse(deps.subscriptionCreatedAt)).toISOString();
  // The first poll reads from the creation time itself: no overlap before the subscription existed.
  const filter = pollFilter(start, stored === undefined ? 0 : (deps.overlapMs ?? POLL_OVERLAP_MS));
  let watermark = start;
  let next: string | undefined;
  const result: PollResult = { pages: 0, profilesRead: 0, queued: 0, watermark };
  do {
    if (deps.signal?.aborted) break;
    const page = await deps.fetchPage(filter, next);
    result.pages++;
    result.profilesRead += page.data.length;
    watermark = advanceWatermark(watermark, page.data as PolledProfile[], pollStartedAt);
    result.queued += await deps.queuePage(page.data as PolledProfile[], watermark);
    result.watermark = watermark;
    next = page.next;
  } while (next);
  return result;
}
