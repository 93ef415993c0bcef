// Asynchronous jobs: profile bulk import (with import errors and an optional list), event bulk create,
// subscribe and unsubscribe, and data privacy deletion. Requests are validated at once (so a bad request
// is a 4xx); the work then runs on the job runner (queued → processing → complete).
import { checkDeclared, invalid, isObject, type Json, notFound } from './http.ts';
import { ApiError, type ApiRequest, attributesOf, dataOf } from './http.ts';
import {
  BULK_EVENT_ATTRIBUTES,
  type EventInput,
  readEvent,
  readEventProfile,
  recordEvent,
} from './events.ts';
import { IMPORT_ATTRIBUTES, readIdentifiers, upsertProfile } from './profile-model.ts';
import type { Handler } from './server.ts';
import { type Account, type Job, type Profile, shortId } from './state.ts';

const SLICE = 1000;
/** Klaviyo's per-profile limit inside a bulk import (the whole request may be 5 MB). */
const PROFILE_MAX_BYTES = 100 * 1024;

export function newJob(type: string, totalCount: number, now: number, step: Job['step']): Job {
  return {
    id: shortId(32),
    type,
    status: 'queued',
    totalCount,
    completedCount: 0,
    failedCount: 0,
    createdAt: now,
    startedAt: undefined,
    completedAt: undefined,
    errors: [],
    resultIds: [],
    listIds: [],
    step,
  };
}

function errorEntry(error: unknown, pointer: string, original?: Json) {
  const known = error instanceof ApiError ? error : new ApiError(500, 'error', 'Processing failed.');
  return {
    id: shortId(20),
    code: known.code,
    title: known.title,
    detail: known.message,
    source: { pointer: known.source?.pointer ?? pointer },
    original_payload: original,
  };
}

function listsFromRelationship(req: ApiRequest, data: Json, name: 'lists' | 'list'): string[] {
  const relationships = isObject(data.relationships) ? data.relationships : {};
  const related = relationships[name];
  if (related === undefined) return [];
  const entries = isObject(related)
    ? Array.isArray(related.data)
      ? related.data
      : related.data
        ? [related.data]
        : []
    : [];
  return entries.map((entry, i) => {
    if (!isObject(entry) || entry.type !== 'list' || typeof entry.id !== 'string') {
      throw invalid("List relationships must be {type: 'list', id}.", {
        pointer: `/data/relationships/${name}/data/${i}`,
      });
    }
    if (!req.account.lists.has(entry.id)) throw notFound(`A list with id ${entry.id} does not exist.`);
    return entry.id;
  });
}

/** `profiles.data` of a bulk job's attributes: at least one entry and at most `max`, else a 400. */
export function profilesData(attributes: Json, max: number): unknown[] {
  const profiles = isObject(attributes.profiles) ? attributes.profiles.data : undefined;
  if (!Array.isArray(profiles) || profiles.length === 0) {
    throw invalid("'profiles' must contain at least one profile.", {
      pointer: '/data/attributes/profiles/data',
    });
  }
  if (profiles.length > max)
    throw invalid(`At most ${max} profiles can be given per request.`, {
      pointer: '/data/attributes/profiles/data',
    });
  return profiles;
}

function profileEntries(attributes: Json, max: number): Json[] {
  return profilesData(attributes, max).map((entry, i) => {
    if (!isObject(entry) || entry.type !== 'profile')
      throw invalid("Each profile must have type 'profile'.", {
        pointer: `/data/attributes/profiles/data/${i}`,
      });
    return entry;
  });
}

function addToLists(account: Account, listIds: string[], profile: Profile, now: number): void {
  for (const listId of listIds) {
    const list = account.lists.get(listId);
    if (list && !list.members.has(profile.id)) list.members.set(profile.id, now);
  }
}

/**
 * Klaviyo's bulk import does not clear a field sent as `null`: only non-null values are written (its bulk
 * import guide; docs/sandbox.md). The other profile writes do clear with `null`.
 */
function withoutNulls(attributes: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null) continue;
    out[key] =
      key === 'location' && isObject(value)
        ? Object.fromEntries(Object.entries(value).filter(([, part]) => part !== null))
        : value;
  }
  return out;
}

const bulkImportProfiles: Handler = (req) => {
  const data = dataOf(req.body, 'profile-bulk-import-job');
  const entries = profileEntries(attributesOf(data, '/data/attributes', true), 10_000);
  // What the request schema refuses is refused at once, for the whole job: a profile over 100 KB and
  // undeclared attributes. Values that are merely invalid become import errors (docs/sandbox.md).
  entries.forEach((entry, i) => {
    const pointer = `/data/attributes/profiles/data/${i}`;
    if (Buffer.byteLength(JSON.stringify(entry)) > PROFILE_MAX_BYTES)
      throw invalid('A profile can be at most 100 KB.', { pointer });
    if (isObject(entry.attributes))
      checkDeclared(entry.attributes, IMPORT_ATTRIBUTES, `${pointer}/attributes`, "the resource 'profile'");
  });
  const listIds = listsFromRelationship(req, data, 'lists');
  const { account, state } = req;
  let next = 0;
  const job = newJob('profile-bulk-import-job', entries.length, req.now, (running) => {
    const now = state.now();
    for (const end = Math.min(entries.length, next + SLICE); next < end; next++) {
      const entry = entries[next];
      const pointer = `/data/attributes/profiles/data/${next}`;
      try {
        const attributes = withoutNulls(isObject(entry.attributes) ? entry.attributes : {});
        const { profile } = upsertProfile(
          account.profiles,
          { id: entry.id, attributes, meta: entry.meta, pointer: `${pointer}/attributes` },
          now,
        );
        addToLists(account, listIds, profile, now);
        running.resultIds.push(profile.id);
        running.completedCount++;
      } catch (error) {
        running.errors.push(
          errorEntry(error, pointer, isObject(entry.attributes) ? entry.attributes : undefined),
        );
        running.failedCount++;
      }
    }
    return next >= entries.length;
  });
  job.listIds = listIds;
  state.enqueue(account, job);
  return { status: 202, body: { data: importJobResource(req, job) } };
};

/** The attributes every bulk job resource starts with: its status, counts and times. */
export function jobProgress(job: Job): Json {
  return {
    status: job.status,
    created_at: new Date(job.createdAt).toISOString(),
    total_count: job.totalCount,
    completed_count: job.completedCount,
    failed_count: job.failedCount,
    completed_at: job.completedAt ? new Date(job.completedAt).toISOString() : null,
  };
}

/** Klaviyo keeps a bulk job's results for seven days. */
export function jobExpiresAt(job: Job): string {
  return new Date(job.createdAt + 7 * 24 * 3600 * 1000).toISOString();
}

export function importJobResource(req: ApiRequest, job: Job): Json {
  const self = `/api/profile-bulk-import-jobs/${job.id}`;
  const link = (name: string) => ({
    links: { self: `${req.base}${self}/relationships/${name}/`, related: `${req.base}${self}/${name}/` },
  });
  return {
    type: 'profile-bulk-import-job',
    id: job.id,
    attributes: {
      ...jobProgress(job),
      expires_at: jobExpiresAt(job),
      started_at: job.startedAt ? new Date(job.startedAt).toISOString() : null,
    },
    relationships: {
      lists: { data: job.listIds.map((id) => ({ type: 'list', id })), ...link('lists') },
      profiles: link('profiles'),
      'import-errors': link('import-errors'),
    },
    links: { self: `${req.base}${self}/` },
  };
}

const bulkCreateEvents: Handler = (req) => {
  const attributes = attributesOf(dataOf(req.body, 'event-bulk-create-job'));
  const groups = isObject(attributes['events-bulk-create'])
    ? attributes['events-bulk-create'].data
    : undefined;
  if (!Array.isArray(groups) || groups.length === 0) {
    throw invalid("'events-bulk-create' must contain at least one entry.", {
      pointer: '/data/attributes/events-bulk-create/data',
    });
  }
  const inputs: EventInput[] = [];
  const seen = new Set<string>();
  groups.forEach((group, g) => {
    const pointer = `/data/attributes/events-bulk-create/data/${g}/attributes`;
    if (!isObject(group) || group.type !== 'event-bulk-create' || !isObject(group.attributes)) {
      throw invalid("Each entry must have type 'event-bulk-create' and attributes.", { pointer });
    }
    checkDeclared(
      group.attributes,
      ['backfill', 'profile', 'events'],
      pointer,
      "the resource 'event-bulk-create'",
    );
    const groupBackfill = group.attributes.backfill;
    if (groupBackfill !== undefined && groupBackfill !== null && typeof groupBackfill !== 'boolean')
      throw invalid("'backfill' must be a boolean.", { pointer: `${pointer}/backfill` });
    const profile = readEventProfile(group.attributes.profile, `${pointer}/profile`);
    const identifiers = readIdentifiers(profile.attributes, `${pointer}/profile/data/attributes`);
    const existing =
      profile.id ??
      [identifiers.email, identifiers.phone_number, identifiers.external_id]
        .map((value, i) =>
          value
            ? req.account.profiles.find((['email', 'phone_number', 'external_id'] as const)[i], value)?.id
            : undefined,
        )
        .find(Boolean);
    const profileKey =
      existing ?? `new:${identifiers.email ?? identifiers.phone_number ?? identifiers.external_id ?? g}`;
    const events = isObject(group.attributes.events) ? group.attributes.events.data : undefined;
    if (!Array.isArray(events) || events.length === 0)
      throw invalid('Each entry needs at least one event.', { pointer: `${pointer}/events/data` });
    events.forEach((event, e) => {
      const eventPointer = `${pointer}/events/data/${e}/attributes`;
      if (!isObject(event) || event.type !== 'event' || !isObject(event.attributes))
        throw invalid("Each event must have type 'event'.", { pointer: eventPointer });
      const parsed = readEvent(event.attributes, eventPointer, req.now, BULK_EVENT_ATTRIBUTES);
      // An event's own `backfill` wins over its entry's.
      if (event.attributes.backfill === undefined || event.attributes.backfill === null)
        parsed.backfill = groupBackfill === true;
      if (parsed.uniqueId !== undefined) {
        const key = `${profileKey}|${parsed.metricName}|${parsed.uniqueId}`;
        if (seen.has(key)) {
          throw invalid(
            `The unique_id '${parsed.uniqueId}' is repeated for the same profile and metric; no events were processed.`,
            { pointer: `${eventPointer}/unique_id` },
          );
        }
        seen.add(key);
      }
      inputs.push({ ...parsed, profile });
      if (inputs.length > 1000)
        throw invalid('At most 1000 events can be sent per request.', {
          pointer: '/data/attributes/events-bulk-create/data',
        });
    });
  });
  const { account, state } = req;
  let next = 0;
  const job = newJob('event-bulk-create-job', inputs.length, req.now, (running) => {
    for (const end = Math.min(inputs.length, next + SLICE); next < end; next++) {
      try {
        recordEvent(account, inputs[next], state.now());
        running.completedCount++;
      } catch (error) {
        running.errors.push(errorEntry(error, `/data/attributes/events-bulk-create/data/${next}`));
        running.failedCount++;
      }
    }
    return next >= inputs.length;
  });
  state.enqueue(account, job);
  return { status: 202 };
};

export const jobHandlers: Record<string, Handler> = {
  bulk_import_profiles: bulkImportProfiles,
  bulk_create_events: bulkCreateEvents,
};
