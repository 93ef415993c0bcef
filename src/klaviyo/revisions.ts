// Klaviyo's API revisions: the one the service sends by default, and how long a revision lives. Klaviyo
// keeps a revision stable for a year, deprecated for the next, and retires it about two years after its
// release date (then it answers 410). The service warns ahead of that date so a merchant can move before
// transfers pause (docs/klaviyo-client.md, "Revisions").

/** The revision the client sends unless a subscription sets another: the one the spec we follow describes. */
export const DEFAULT_REVISION = '2026-07-15';

/** Klaviyo retires a revision about this long after its release date. */
export const REVISION_LIFETIME_MONTHS = 24;

/** How long before a revision's retirement the service starts warning. */
export const REVISION_WARNING_DAYS = 180;

const DAY_MS = 86_400_000;

export interface RevisionLifecycle {
  revision: string;
  /** The day Klaviyo is expected to retire it (release date + 24 months), YYYY-MM-DD. */
  retiresOn: string;
  /** Whole days until then; 0 or less once it has passed. */
  daysLeft: number;
  state: 'supported' | 'retiring_soon' | 'retired';
}

/** The release date of `YYYY-MM-DD` or `YYYY-MM-DD.pre`, as UTC midnight; undefined for anything else. */
function releaseDate(revision: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(\.pre)?$/.exec(revision);
  if (!match) return undefined;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === revision.slice(0, 10) ? date : undefined;
}

/** Where `revision` stands on `nowMs`: computed from its date, as Klaviyo's policy is (no list to keep). */
export function revisionLifecycle(revision: string, nowMs: number): RevisionLifecycle | undefined {
  const released = releaseDate(revision);
  if (!released) return undefined;
  const retires = new Date(released);
  retires.setUTCMonth(retires.getUTCMonth() + REVISION_LIFETIME_MONTHS);
  const daysLeft = Math.ceil((retires.getTime() - nowMs) / DAY_MS);
  return {
    revision,
    retiresOn: retires.toISOString().slice(0, 10),
    daysLeft,
    state: daysLeft <= 0 ? 'retired' : daysLeft <= REVISION_WARNING_DAYS ? 'retiring_soon' : 'supported',
  };
}

/**
 * A sentence for people when `revision` is retired or retires within REVISION_WARNING_DAYS; null while it
 * is safe. Names the revision to move to (the service's default).
 */
export function revisionWarning(revision: string, nowMs: number): string | null {
  const life = revisionLifecycle(revision, nowMs);
  if (!life || life.state === 'supported') return null;
  const move =
    revision === DEFAULT_REVISION
      ? 'update klaviyo-sync to a version with a newer default revision'
      : `set API Revision to ${DEFAULT_REVISION} (the service's default) or clear it`;
  if (life.state === 'retired') {
    return `API revision ${revision} is past its expected retirement (${life.retiresOn}); Klaviyo may refuse it at any time and transfers would pause. To keep syncing, ${move}.`;
  }
  return `API revision ${revision} is expected to be retired by Klaviyo on ${life.retiresOn} (in ${life.daysLeft} day${life.daysLeft === 1 ? '' : 's'}); transfers will pause then. Before that, ${move}.`;
}
