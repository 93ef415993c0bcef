// The newest `updated` of each Klaviyo profile this subscription has queued from a poll or written itself.
// The poll skips a profile whose (id, updated) it has already seen — the overlap between polls reads some
// twice — and a profile our own write just changed, so a push to Klaviyo does not come straight back.
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../store/schema.ts';

const CHUNK = 300;

function parse(updated: string): number | undefined {
  const ms = Date.parse(updated);
  return Number.isNaN(ms) ? undefined : ms;
}

export async function knownProfileVersions(
  db: Kysely<Database>,
  subscriptionId: string,
  profileIds: readonly string[],
): Promise<Map<string, number>> {
  const known = new Map<string, number>();
  const ids = [...new Set(profileIds)];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db
      .selectFrom('flow_profile_versions')
      .select(['profile_id', 'updated_ms'])
      .where('subscription_id', '=', subscriptionId)
      .where('profile_id', 'in', ids.slice(i, i + CHUNK))
      .execute();
    for (const row of rows) known.set(row.profile_id, Number(row.updated_ms));
  }
  return known;
}

/** Stores each profile's `updated`, keeping the newest when one is already stored. */
export async function rememberProfileVersions(
  db: Kysely<Database>,
  subscriptionId: string,
  versions: readonly { profileId: string; updated: string }[],
): Promise<void> {
  const newest = new Map<string, number>();
  for (const version of versions) {
    const ms = parse(version.updated);
    if (ms === undefined) continue;
    newest.set(version.profileId, Math.max(ms, newest.get(version.profileId) ?? 0));
  }
  const rows = [...newest].map(([profile_id, updated_ms]) => ({
    subscription_id: subscriptionId,
    profile_id,
    updated_ms,
  }));
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto('flow_profile_versions')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) =>
        // CASE, not max()/greatest(): the one spelling SQLite and PostgreSQL share.
        oc.columns(['subscription_id', 'profile_id']).doUpdateSet({
          updated_ms: sql<number>`CASE WHEN excluded.updated_ms > flow_profile_versions.updated_ms
            THEN excluded.updated_ms ELSE flow_profile_versions.updated_ms END`,
        }),
      )
      .execute();
  }
}
