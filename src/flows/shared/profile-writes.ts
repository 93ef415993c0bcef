// No echo (docs/flows.md): what the service last wrote to each Klaviyo profile, so the profile poll does not
// read the service's own writes back as changes and queue them into the hub. Klaviyo's `updated` cannot
// tell: a bulk import says nothing about it, and every later event on the profile moves it again. So the
// write is remembered by value — the attribute paths written and a hash of their values — and a polled
// profile whose values at those paths are still the written ones is our echo. So that a change Klaviyo makes
// to other attributes (consent, a field we do not write) still comes back, the first read-back also keeps a
// hash of every hub-relevant attribute; a later poll that finds those changed queues the profile.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';

const CHUNK = 300;

/**
 * Attributes that change without anyone editing the profile (Klaviyo's own bookkeeping, and the last event
 * date that every event we send moves): never a reason to bring a profile back.
 */
const VOLATILE = new Set(['updated', 'created', 'last_event_date', 'predictive_analytics']);

type Leaf = string | number | boolean | null;

/** Leaves of an attribute object by dotted path; arrays are one leaf. Undefined means "not written". */
function flatten(value: unknown, prefix: string, out: Map<string, Leaf>, skip?: Set<string>): void {
  if (value === undefined) return;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (!prefix && skip?.has(key)) continue;
      flatten(child, prefix ? `${prefix}.${key}` : key, out, skip);
    }
    return;
  }
  out.set(prefix, normalize(prefix, value));
}

/** The spellings Klaviyo may give back for what we wrote: no value is null, emails compare lower-case. */
function normalize(path: string, value: unknown): Leaf {
  if (value === null || value === undefined || value === '') return null;
  if (Array.isArray(value)) return JSON.stringify(value);
  if (typeof value === 'string') return path === 'email' ? value.trim().toLowerCase() : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/** Value at a dotted path of a read profile's attributes (missing = null). */
function at(attributes: Record<string, unknown>, path: string): Leaf {
  let current: unknown = attributes;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return null;
    current = (current as Record<string, unknown>)[part];
  }
  if (current !== null && typeof current === 'object' && !Array.isArray(current))
    return JSON.stringify(current);
  return normalize(path, current);
}

function hash(pairs: [string, Leaf][]): string {
  return createHash('sha256').update(JSON.stringify(pairs)).digest('base64url').slice(0, 32);
}

export interface WrittenFingerprint {
  keys: string;
  hash: string;
}

/** The fingerprint of the attributes a write sent. */
export function writtenFingerprint(attributes: Record<string, unknown>): WrittenFingerprint {
  const leaves = new Map<string, Leaf>();
  flatten(attributes, '', leaves);
  const keys = [...leaves.keys()].sort();
  return { keys: keys.join(','), hash: hash(keys.map((key) => [key, leaves.get(key)!])) };
}

/** A read profile's values at the written paths, hashed the same way. */
export function projectedHash(attributes: Record<string, unknown>, keys: string): string {
  const paths = keys === '' ? [] : keys.split(',');
  return hash(paths.map((path) => [path, at(attributes, path)]));
}

/** Every hub-relevant attribute of a read profile (nulls left out, so a field Klaviyo adds empty is no change). */
export function seenHash(attributes: Record<string, unknown>): string {
  const leaves = new Map<string, Leaf>();
  flatten(attributes, '', leaves, VOLATILE);
  const pairs = [...leaves].filter(([, value]) => value !== null).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return hash(pairs);
}

/** Records what was written to each profile; a new write replaces the last one and forgets what was seen. */
export async function rememberProfileWrites(
  db: Kysely<Database>,
  subscriptionId: string,
  writes: readonly { profileId: string; attributes: Record<string, unknown> }[],
  nowMs = Date.now(),
): Promise<void> {
  const latest = new Map<string, Record<string, unknown>>();
  for (const write of writes) latest.set(write.profileId, write.attributes);
  const rows = [...latest].map(([profile_id, attributes]) => {
    const fingerprint = writtenFingerprint(attributes);
    return {
      subscription_id: subscriptionId,
      profile_id,
      written_keys: fingerprint.keys,
      written_hash: fingerprint.hash,
      seen_hash: null,
      written_ms: nowMs,
    };
  });
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto('flow_profile_writes')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc.columns(['subscription_id', 'profile_id']).doUpdateSet((eb) => ({
          written_keys: eb.ref('excluded.written_keys'),
          written_hash: eb.ref('excluded.written_hash'),
          seen_hash: null,
          written_ms: eb.ref('excluded.written_ms'),
        })),
      )
      .execute();
  }
}

interface StoredWrite {
  keys: string;
  hash: string;
  seen: string | null;
}

/**
 * Splits polled profiles into our own echoes and real changes. Echoes read for the first time get their
 * seen hash stored; profiles found changed forget the write (the hub takes Klaviyo's values now).
 */
export async function sortOutEchoes<P extends { id: string; attributes?: Record<string, unknown> }>(
  db: Kysely<Database>,
  subscriptionId: string,
  profiles: readonly P[],
): Promise<{ changed: P[]; echoes: P[] }> {
  const stored = new Map<string, StoredWrite>();
  const ids = [...new Set(profiles.map((profile) => profile.id))];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db
      .selectFrom('flow_profile_writes')
      .select(['profile_id', 'written_keys', 'written_hash', 'seen_hash'])
      .where('subscription_id', '=', subscriptionId)
      .where('profile_id', 'in', ids.slice(i, i + CHUNK))
      .execute();
    for (const row of rows) {
      stored.set(row.profile_id, { keys: row.written_keys, hash: row.written_hash, seen: row.seen_hash });
    }
  }
  const changed: P[] = [];
  const echoes: P[] = [];
  const firstSeen: Database['flow_profile_writes'][] = [];
  const forget: string[] = [];
  for (const profile of profiles) {
    const write = stored.get(profile.id);
    const attributes = profile.attributes ?? {};
    if (write && projectedHash(attributes, write.keys) === write.hash) {
      const seen = seenHash(attributes);
      if (write.seen === null) {
        firstSeen.push({
          subscription_id: subscriptionId,
          profile_id: profile.id,
          written_keys: write.keys,
          written_hash: write.hash,
          seen_hash: seen,
          written_ms: 0,
        });
        echoes.push(profile);
        continue;
      }
      if (write.seen === seen) {
        echoes.push(profile);
        continue;
      }
    }
    if (write) forget.push(profile.id);
    changed.push(profile);
  }
  for (let i = 0; i < firstSeen.length; i += CHUNK) {
    // An upsert of rows that exist: one statement per chunk sets their seen hash and nothing else.
    await db
      .insertInto('flow_profile_writes')
      .values(firstSeen.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc
          .columns(['subscription_id', 'profile_id'])
          .doUpdateSet((eb) => ({ seen_hash: eb.ref('excluded.seen_hash') })),
      )
      .execute();
  }
  for (let i = 0; i < forget.length; i += CHUNK) {
    await db
      .deleteFrom('flow_profile_writes')
      .where('subscription_id', '=', subscriptionId)
      .where('profile_id', 'in', forget.slice(i, i + CHUNK))
      .execute();
  }
  return { changed, echoes };
}
