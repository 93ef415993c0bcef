import type { KlaviyoTransport } from '../transport.ts';
import type { ProfileAttributes } from './profiles.ts';
import { type Attributes, checkBatch, defined } from './shared.ts';

/** Who the event is about: Klaviyo's id, or identifiers (email, phone_number, external_id…) and fields. */
export interface EventProfile {
  id?: string;
  attributes?: ProfileAttributes;
}

export interface EventInput {
  metric: string;
  properties: Attributes;
  /** ISO 8601; Klaviyo defaults to the receipt time. */
  time?: string;
  value?: number;
  valueCurrency?: string;
  /** Deduplication key: always set it, from the source record's id. */
  uniqueId?: string;
  /** Record without triggering flows (historical data). */
  backfill?: boolean;
  profile: EventProfile;
}

function profileData(profile: EventProfile) {
  return {
    data: defined({ type: 'profile', id: profile.id, attributes: defined(profile.attributes ?? {}) }),
  };
}

function eventAttributes(e: Omit<EventInput, 'profile'>) {
  return defined({
    properties: e.properties,
    time: e.time,
    value: e.value,
    value_currency: e.valueCurrency,
    unique_id: e.uniqueId,
    backfill: e.backfill,
    metric: { data: { type: 'metric', attributes: { name: e.metric } } },
  });
}

export function createEventBody(e: EventInput) {
  return { data: { type: 'event', attributes: { ...eventAttributes(e), profile: profileData(e.profile) } } };
}

/** Bulk bodies group events per profile; each group carries one profile and its events. */
export interface EventGroup {
  profile: EventProfile;
  events: Omit<EventInput, 'profile'>[];
}

export function bulkCreateEventsBody(groups: readonly EventGroup[]) {
  return {
    data: {
      type: 'event-bulk-create-job',
      attributes: {
        'events-bulk-create': {
          data: groups.map((g) => ({
            type: 'event-bulk-create',
            attributes: {
              profile: profileData(g.profile),
              events: { data: g.events.map((e) => ({ type: 'event', attributes: eventAttributes(e) })) },
            },
          })),
        },
      },
    },
  };
}

export function eventsResource(transport: KlaviyoTransport) {
  return {
    /** Accepted (202): validated and queued by Klaviyo, not yet processed. */
    async create(event: EventInput): Promise<void> {
      await transport.call('create_event', { body: createEventBody(event) });
    },
    /**
     * Up to 1000 events per request. A unique_id repeated for one profile and metric fails the whole request,
     * so callers deduplicate first.
     */
    async bulkCreate(groups: readonly EventGroup[]): Promise<void> {
      checkBatch(
        'bulk_create_events',
        groups.reduce((n, g) => n + g.events.length, 0),
      );
      await transport.call('bulk_create_events', { body: bulkCreateEventsBody(groups) });
    },
  };
}
