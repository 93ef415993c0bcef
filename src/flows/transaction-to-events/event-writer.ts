// Sending events to Klaviyo (SPEC S5.3, S6), one result per event. Without a backlog each event goes by
// `POST /api/events` (the XL tier); with one, by event bulk-create jobs of ≤1,000 events and ≤5 MB, with
// repeats of a unique_id for one profile and metric removed first (Klaviyo would fail the whole job). A job
// refused whole because of one bad event is split until the bad event stands alone. Klaviyo accepts both
// calls with 202 and processes later; a 202 is Klaviyo's promise, and the deterministic unique_id makes a
// re-send harmless, so 202 is success.
import type { EventInput, KlaviyoClient } from '../../klaviyo/index.ts';
import { endpoint } from '../../klaviyo/index.ts';
import {
  chunkWithinLimits,
  type ItemResult,
  jsonBytes,
  mapWithConcurrency,
  sendSplittingOnRefusal,
} from '../shared/batcher.ts';
import { groupEventsByProfile, removeDuplicateEvents } from './event-batch.ts';
import { isContentRefusal, isKlaviyoError } from '../shared/outcomes.ts';

export type EventResult = ItemResult<true>;

const BULK = endpoint('bulk_create_events');
const POINTER = /^\/data\/attributes\/events-bulk-create\/data\/(\d+)(?:\/attributes\/events\/data\/(\d+))?/;

export interface EventWriterOptions {
  concurrency?: number;
  /** Each bulk call, for logs and the bench. */
  onBulkCall?: (events: number) => void;
}

export async function sendEventsSingly(
  client: KlaviyoClient,
  events: readonly EventInput[],
  options: EventWriterOptions = {},
): Promise<EventResult[]> {
  return mapWithConcurrency(events, options.concurrency ?? 10, async (event) => {
    try {
      await client.events.create(event);
      return { ok: true, value: true } as const;
    } catch (error) {
      return { ok: false, error };
    }
  });
}

/** Which of the sent events a bulk refusal names, from its pointers (group, and event in the group). */
function locateRefusedEvents(error: unknown, sent: readonly EventInput[]): number[] | undefined {
  if (!isKlaviyoError(error) || !error.errors?.length) return undefined;
  const { members } = groupEventsByProfile(sent);
  const found = new Set<number>();
  for (const entry of error.errors) {
    const match = POINTER.exec(entry.source?.pointer ?? '');
    if (!match) return undefined;
    const group = members[Number(match[1])];
    if (!group) return undefined;
    if (match[2] === undefined) {
      for (const index of group) found.add(index);
    } else if (group[Number(match[2])] !== undefined) found.add(group[Number(match[2])]);
    else return undefined;
  }
  return found.size > 0 ? [...found] : undefined;
}

export async function sendEventsInBulk(
  client: KlaviyoClient,
  events: readonly EventInput[],
  options: EventWriterOptions = {},
): Promise<EventResult[]> {
  const { unique, sentAs } = removeDuplicateEvents(events);
  const chunks = chunkWithinLimits(
    unique.map((event, index) => ({ event, index })),
    { maxItems: BULK.maxBatch ?? 1000, maxBytes: BULK.maxPayloadBytes, envelopeBytes: 512 },
    // Each event may carry its own copy of the profile in the worst case (one event per profile).
    (item) => jsonBytes(item.event) + 64,
  );
  const uniqueResults: EventResult[] = new Array(unique.length);
  await mapWithConcurrency(chunks, options.concurrency ?? 4, async (chunk) => {
    const results = await sendSplittingOnRefusal(
      chunk.map((item) => item.event),
      async (batch) => {
        options.onBulkCall?.(batch.length);
        if (batch.length === 1) await client.events.create(batch[0]);
        else await client.events.bulkCreate(groupEventsByProfile(batch).groups);
        return batch.map(() => ({ ok: true, value: true }) as const);
      },
      { isWholeBatchRefusal: isContentRefusal, locateRefused: locateRefusedEvents },
    );
    results.forEach((result, position) => {
      uniqueResults[chunk[position].index] = result;
    });
  });
  return sentAs.map((at) => uniqueResults[at]);
}
