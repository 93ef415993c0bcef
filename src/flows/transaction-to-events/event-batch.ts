// Event bulk-create preparation (SPEC S6). Klaviyo fails a whole event-bulk-create job when one unique_id
// repeats for the same profile and metric, so repeats are removed before sending: the same order queued
// twice (created, then updated before the worker ran) becomes one event, and both transfers succeed on it.
import type { EventGroup, EventInput, EventProfile } from '../../klaviyo/index.ts';

export type { EventInput };

/**
 * The identity Klaviyo will resolve the event's profile by: its id when linked, else email (Klaviyo
 * compares emails case-insensitively), else phone, else external id.
 */
export function eventProfileKey(profile: EventProfile): string {
  if (profile.id) return `id:${profile.id}`;
  const attributes = profile.attributes ?? {};
  if (attributes.email) return `email:${attributes.email.trim().toLowerCase()}`;
  if (attributes.phone_number) return `phone:${attributes.phone_number}`;
  if (attributes.external_id) return `external:${attributes.external_id}`;
  return 'none';
}

export function eventDedupKey(event: EventInput): string {
  return `${eventProfileKey(event.profile)}\u0000${event.metric}\u0000${event.uniqueId ?? ''}`;
}

export interface DeduplicatedEvents<E extends EventInput> {
  /** The events to send, first occurrence kept, in input order. */
  unique: E[];
  /** For each input index, the index in `unique` of the event that stands for it. */
  sentAs: number[];
}

export function removeDuplicateEvents<E extends EventInput>(events: readonly E[]): DeduplicatedEvents<E> {
  const unique: E[] = [];
  const firstByKey = new Map<string, number>();
  const sentAs: number[] = [];
  for (const event of events) {
    // Without a unique_id Klaviyo dedups by time instead; such events are never merged here.
    const key = event.uniqueId ? eventDedupKey(event) : undefined;
    let at = key === undefined ? undefined : firstByKey.get(key);
    if (at === undefined) {
      at = unique.length;
      if (key !== undefined) firstByKey.set(key, at);
      unique.push(event);
    }
    sentAs.push(at);
  }
  return { unique, sentAs };
}

/**
 * Events grouped per profile, as the bulk-create body wants them; group order follows first appearance.
 * `members` gives, per group, the input indexes of its events (to map a refusal back to records).
 */
export function groupEventsByProfile(events: readonly EventInput[]): {
  groups: EventGroup[];
  members: number[][];
} {
  const byKey = new Map<string, number>();
  const groups: EventGroup[] = [];
  const members: number[][] = [];
  events.forEach((event, index) => {
    const key = eventProfileKey(event.profile);
    let at = byKey.get(key);
    if (at === undefined) {
      at = groups.length;
      byKey.set(key, at);
      groups.push({ profile: event.profile, events: [] });
      members.push([]);
    }
    const { profile: _profile, ...rest } = event;
    groups[at].events.push(rest);
    members[at].push(index);
  });
  return { groups, members };
}
