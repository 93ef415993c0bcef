// Finding the Klaviyo profiles of unlinked customers (SPEC S5.1): by email first, then by E.164 phone. One
// `GET /api/profiles?filter=any(email,[…])` answers up to 100 customers, so a backlog of 20,000 costs 200
// lookups, not 20,000. A value that cannot be put in a filter safely is not looked up: the create that
// follows meets Klaviyo's 409 and links to the existing profile instead.
import type { KlaviyoClient } from '../../klaviyo/index.ts';
import { chunkWithinLimits, mapWithConcurrency } from '../shared/batcher.ts';

export interface MatchCandidate {
  key: string;
  email?: string;
  phone?: string;
}

const LOOKUP_SIZE = 100;
const SAFE_VALUE = /^[^"'\\,()[\]\s]+$/;

function quoted(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(',');
}

interface Found {
  id: string;
  email?: string;
}

async function lookup(
  client: KlaviyoClient,
  field: 'email' | 'phone_number',
  values: readonly string[],
): Promise<Map<string, Found>> {
  const found = new Map<string, Found>();
  const chunks = chunkWithinLimits(values, { maxItems: LOOKUP_SIZE });
  await mapWithConcurrency(chunks, 4, async (chunk) => {
    let next: string | undefined;
    do {
      const page = await client.profiles.list(
        next
          ? { next }
          : {
              filter: `any(${field},[${quoted(chunk)}])`,
              fields: ['email', 'phone_number'],
              pageSize: LOOKUP_SIZE,
            },
      );
      for (const profile of page.data) {
        const value = profile.attributes[field];
        if (typeof value !== 'string') continue;
        const normalized = field === 'email' ? value.toLowerCase() : value;
        // Several profiles with one value cannot happen for identifiers; keep the first if it does.
        const email = typeof profile.attributes.email === 'string' ? profile.attributes.email : undefined;
        if (!found.has(normalized)) found.set(normalized, { id: profile.id, email });
      }
      next = page.next;
    } while (next);
  });
  return found;
}

export interface ProfileMatch {
  profileId: string;
  by: 'email' | 'phone';
  /** A phone match whose profile carries another email: maybe another person sharing the phone. */
  otherEmail?: string;
}

/** Klaviyo profile ids of the candidates that have one, by email, then by phone. */
export async function matchProfiles(
  client: KlaviyoClient,
  candidates: readonly MatchCandidate[],
): Promise<Map<string, ProfileMatch>> {
  const matches = new Map<string, ProfileMatch>();
  // Both spellings are asked for: Klaviyo compares emails case-insensitively, but a filter may not.
  const emails = [
    ...new Set(
      candidates
        .flatMap((candidate) => {
          const email = candidate.email?.trim();
          return email ? [email, email.toLowerCase()] : [];
        })
        .filter((email) => SAFE_VALUE.test(email)),
    ),
  ];
  const byEmail = emails.length > 0 ? await lookup(client, 'email', emails) : new Map<string, Found>();
  const remaining: MatchCandidate[] = [];
  for (const candidate of candidates) {
    const found = candidate.email ? byEmail.get(candidate.email.trim().toLowerCase()) : undefined;
    if (found) matches.set(candidate.key, { profileId: found.id, by: 'email' });
    else remaining.push(candidate);
  }
  const phones = [
    ...new Set(
      remaining
        .map((candidate) => candidate.phone)
        .filter((phone): phone is string => !!phone && SAFE_VALUE.test(phone)),
    ),
  ];
  if (phones.length === 0) return matches;
  const byPhone = await lookup(client, 'phone_number', phones);
  for (const candidate of remaining) {
    const found = candidate.phone ? byPhone.get(candidate.phone) : undefined;
    if (!found) continue;
    const otherEmail =
      found.email && candidate.email && found.email.toLowerCase() !== candidate.email.trim().toLowerCase()
        ? found.email
        : undefined;
    matches.set(candidate.key, { profileId: found.id, by: 'phone', otherEmail });
  }
  return matches;
}
