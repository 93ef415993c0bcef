// Event bulk-create preparation (SPEC S6). Klaviyo fails a whole event-bulk-create job when one unique_id
// repeats for the same profile and metric, so repeats are removed before sending: the same order queued
// twice (created, then updated before the worker ran) becomes one event, and both transfers succeed on it.

export interface EventProfileRef {
  id?: string;
  email?: string;
  phone_number?: string;
  external_id?: string;
}

export interface OutgoingEvent {
  metric: string;
  uniqueId: string;
  profile: EventProfileRef & Record<string, unknown>;
  properties: Record<string, unknown>;
  time?: string;
  value?: number;
  valueCurrency?: string;
}

/**
 * The identity Klaviyo will resolve the event's profile by: its id when linked, else email (Klaviyo
 * compares emails case-insensitively), else phone, else external id.
 */
export function eventProfileKey(profile: EventProfileRef): string {
  if (profile.id) return `id:${profile.id}`;
  if (profile.email) return `email:${profile.email.trim().toLowerCase()}`;
  if (profile.phone_number) return `phone:${profile.phone_number}`;
  if (profile.external_id) return `external:${profile.external_id}`;
  return 'none';
}

export function eventDedupKey(event: OutgoingEvent): string {
  return `${eventProfileKey(event.profile)}\u0000${event.metric}\u0000${event.uniqueId}`;
}

export interface DeduplicatedEvents<E extends OutgoingEvent> {
  /** The events to send, first occurrence kept, in input order. */
  unique: E[];
  /** For each input index, the index in `unique` of the event that stands for it. */
  sentAs: number[];
}

export function removeDuplicateEvents<E extends OutgoingEvent>(events: readonly E[]): DeduplicatedEvents<E> {
  const unique: E[] = [];
  const firstByKey = new Map<string, number>();
  const sentAs: number[] = [];
  for (const event of events) {
    const key = eventDedupKey(event);
    let at = firstByKey.get(key);
    if (at === undefined) {
      at = unique.length;
      firstByKey.set(key, at);
      unique.push(event);
    }
    sentAs.push(at);
  }
  return { unique, sentAs };
}

export interface ProfileEventGroup<E extends OutgoingEvent> {
  profile: E['profile'];
  events: E[];
}

/** Events grouped per profile, as the bulk-create body wants them; group order follows first appearance. */
export function groupEventsByProfile<E extends OutgoingEvent>(events: readonly E[]): ProfileEventGroup<E>[] {
  const groups = new Map<string, ProfileEventGroup<E>>();
  for (const event of events) {
    const key = eventProfileKey(event.profile);
    const group = groups.get(key);
    if (group) group.events.push(event);
    else groups.set(key, { profile: event.profile, events: [event] });
  }
  return [...groups.values()];
}
