// Events and metrics. An event creates its metric on first use and creates or updates its profile.
// Klaviyo's deduplication: one event per (profile, metric, unique_id); without unique_id, one per
// (profile, metric, second). A bulk job that repeats a unique_id for the same profile and metric fails whole.
import {
  ApiError,
  type ApiRequest,
  attributesOf,
  checkDeclared,
  dataOf,
  invalid,
  isObject,
  iso,
  type Json,
  matchTerm,
  notFound,
  pageSize,
  paginate,
  parseOperationFilter,
  parseSort,
  relationship,
  sparse,
} from './http.ts';
import {
  EVENT_PROFILE_ATTRIBUTES,
  profileResource,
  readIdentifiers,
  upsertProfile,
  validateAttributes,
} from './profile-model.ts';
import type { Handler } from './server.ts';
import { type Account, type Metric, Profile, type SandboxEvent, shortId, ulid } from './state.ts';

const YEAR_MS = 365 * 24 * 3600 * 1000;
const EARLIEST_EVENT = Date.parse('1990-01-01T00:00:00Z');

export interface EventInput {
  metricName: string;
  service: string;
  properties: Json;
  time: number;
  value: number | undefined;
  valueCurrency: string | undefined;
  uniqueId: string | undefined;
  /** recorded but does not trigger flows (revision 2026-07-15) */
  backfill: boolean;
  profile: { id?: string; attributes: Json; meta?: unknown };
}

/** The attributes an event of a bulk create job declares; create event also declares `profile`. */
export const BULK_EVENT_ATTRIBUTES: readonly string[] = [
  'properties',
  'time',
  'value',
  'value_currency',
  'unique_id',
  'backfill',
  'metric',
];
const EVENT_ATTRIBUTES: readonly string[] = [...BULK_EVENT_ATTRIBUTES, 'profile'];

/** Validates one event's attributes (without its profile) and returns the parts to record. */
export function readEvent(
  attributes: Json,
  pointer: string,
  now: number,
  declared: readonly string[] = EVENT_ATTRIBUTES,
): Omit<EventInput, 'profile'> {
  checkDeclared(attributes, declared, pointer, "the resource 'event'");
  const properties = attributes.properties;
  if (!isObject(properties))
    throw invalid("'properties' is required and must be an object.", { pointer: `${pointer}/properties` });
  if (Object.keys(properties).length > 400)
    throw invalid('An event can have at most 400 properties.', { pointer: `${pointer}/properties` });
  let time = now;
  if (attributes.time !== undefined && attributes.time !== null) {
    time = typeof attributes.time === 'string' ? Date.parse(attributes.time) : Number.NaN;
    if (Number.isNaN(time))
      throw invalid("'time' must be an ISO 8601 datetime.", { pointer: `${pointer}/time` });
    if (time < EARLIEST_EVENT || time > now + YEAR_MS) {
      throw invalid("'time' must be after 1990 and at most one year in the future.", {
        pointer: `${pointer}/time`,
      });
    }
  }
  const value = attributes.value;
  if (value !== undefined && value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw invalid("'value' must be a number.", { pointer: `${pointer}/value` });
  }
  const currency = attributes.value_currency;
  if (
    currency !== undefined &&
    currency !== null &&
    (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
  ) {
    throw invalid("'value_currency' must be an ISO 4217 code.", { pointer: `${pointer}/value_currency` });
  }
  const uniqueId = attributes.unique_id;
  if (uniqueId !== undefined && uniqueId !== null && typeof uniqueId !== 'string') {
    throw invalid("'unique_id' must be a string.", { pointer: `${pointer}/unique_id` });
  }
  const backfill = attributes.backfill;
  if (backfill !== undefined && backfill !== null && typeof backfill !== 'boolean')
    throw invalid("'backfill' must be a boolean.", { pointer: `${pointer}/backfill` });
  const metric = attributes.metric;
  const metricAttributes =
    isObject(metric) && isObject(metric.data) && isObject(metric.data.attributes)
      ? metric.data.attributes
      : undefined;
  const name = metricAttributes?.name;
  if (typeof name !== 'string' || name === '' || name.length >= 128) {
    throw invalid('The metric name is required and must be shorter than 128 characters.', {
      pointer: `${pointer}/metric/data/attributes/name`,
    });
  }
  return {
    metricName: name,
    service: typeof metricAttributes?.service === 'string' ? metricAttributes.service : 'api',
    properties,
    time: Math.floor(time / 1000) * 1000,
    value: (value as number | null | undefined) ?? undefined,
    valueCurrency: (currency as string | null | undefined) ?? undefined,
    uniqueId: (uniqueId as string | null | undefined) ?? undefined,
    backfill: backfill === true,
  };
}

/** Reads `{data:{type:'profile', id?, attributes, meta?}}` of an event and validates its identifiers. */
export function readEventProfile(value: unknown, pointer: string): EventInput['profile'] {
  const data = isObject(value) ? value.data : undefined;
  if (!isObject(data) || data.type !== 'profile')
    throw invalid('The event profile is required.', { pointer });
  const attributes = attributesOf(data, `${pointer}/data/attributes`, true);
  const identifiers = readIdentifiers(attributes, `${pointer}/data/attributes`);
  validateAttributes(attributes, `${pointer}/data/attributes`, EVENT_PROFILE_ATTRIBUTES);
  const hasIdentifier =
    identifiers.email ||
    identifiers.phone_number ||
    identifiers.external_id ||
    attributes.anonymous_id ||
    attributes._kx;
  if (!hasIdentifier && typeof data.id !== 'string') {
    throw invalid('The profile needs one of id, email, phone_number, external_id or anonymous_id.', {
      pointer: `${pointer}/data/attributes`,
    });
  }
  return { id: typeof data.id === 'string' ? data.id : undefined, attributes, meta: data.meta };
}

export function metricFor(account: Account, name: string, service: string, now: number): Metric {
  let metric = account.metricsByName.get(name);
  if (!metric) {
    metric = { id: shortId(6), name, service, created: now, updated: now };
    account.metrics.set(metric.id, metric);
    account.metricsByName.set(name, metric);
  }
  return metric;
}

function eventProfile(account: Account, input: EventInput['profile'], now: number): Profile {
  // `meta` inside the attributes is how create event's schema carries the profile's patch operations.
  const { anonymous_id: _anonymous, _kx, meta, ...attributes } = input.attributes;
  const hasIdentifier = attributes.email || attributes.phone_number || attributes.external_id || input.id;
  if (!hasIdentifier) {
    const profile = new Profile(ulid(now), now);
    account.profiles.add(profile);
    return profile;
  }
  return upsertProfile(
    account.profiles,
    {
      id: input.id,
      attributes,
      meta: input.meta ?? meta,
      pointer: '/data/attributes/profile/data/attributes',
    },
    now,
  ).profile;
}

/** Records an event unless Klaviyo's dedup rule says it was already seen. Returns the event or undefined. */
export function recordEvent(account: Account, input: EventInput, now: number): SandboxEvent | undefined {
  const profile = eventProfile(account, input.profile, now);
  const metric = metricFor(account, input.metricName, input.service, now);
  const key = `${profile.id}|${metric.id}|${input.uniqueId ?? `@${input.time}`}`;
  if (account.eventKeys.has(key)) return undefined;
  account.eventKeys.add(key);
  const event: SandboxEvent = {
    id: ulid(now),
    metricId: metric.id,
    profileId: profile.id,
    time: input.time,
    uniqueId: input.uniqueId ?? key,
    value: input.value,
    valueCurrency: input.valueCurrency,
    properties: input.properties,
    backfill: input.backfill,
  };
  account.events.push(event);
  account.eventsById.set(event.id, event);
  if (input.time > profile.lastEventDate) profile.lastEventDate = input.time;
  return event;
}

const createEvent: Handler = (req) => {
  const attributes = attributesOf(dataOf(req.body, 'event'));
  const event = readEvent(attributes, '/data/attributes', req.now);
  const profile = readEventProfile(attributes.profile, '/data/attributes/profile');
  recordEvent(req.account, { ...event, profile }, req.now);
  return { status: 202 };
};

export function eventResource(req: ApiRequest, event: SandboxEvent): Json {
  const properties: Json = { ...event.properties };
  if (event.value !== undefined) properties.$value = event.value;
  const self = `/api/events/${event.id}`;
  return {
    type: 'event',
    id: event.id,
    attributes: sparse(req, 'event', {
      timestamp: Math.floor(event.time / 1000),
      event_properties: properties,
      datetime: iso(event.time) ?? new Date(event.time).toISOString(),
      uuid: event.uniqueId,
    }),
    relationships: {
      profile: relationship(req, self, 'profile', { type: 'profile', id: event.profileId }),
      metric: relationship(req, self, 'metric', { type: 'metric', id: event.metricId }),
    },
    links: { self: `${req.base}${self}/` },
  };
}

export function metricResource(req: ApiRequest, metric: Metric): Json {
  return {
    type: 'metric',
    id: metric.id,
    attributes: sparse(req, 'metric', {
      name: metric.name,
      created: iso(metric.created),
      updated: iso(metric.updated),
      integration: {
        object: 'integration',
        id: metric.service,
        key: metric.service,
        name: metric.service === 'api' ? 'API' : metric.service,
        category: 'API',
      },
    }),
    links: { self: `${req.base}/api/metrics/${metric.id}/` },
  };
}

function included(req: ApiRequest, events: SandboxEvent[]): Json[] | undefined {
  const include = req.query.get('include');
  if (!include) return undefined;
  const out: Json[] = [];
  for (const name of include.split(',')) {
    if (name !== 'profile' && name !== 'metric' && name !== 'attributions') {
      throw invalid(`'${name}' is not an allowed include parameter for this resource.`, {
        parameter: 'include',
      });
    }
    const seen = new Set<string>();
    for (const event of events) {
      const id = name === 'profile' ? event.profileId : event.metricId;
      if (name === 'attributions' || seen.has(id)) continue;
      seen.add(id);
      const profile = req.account.profiles.byId.get(event.profileId);
      if (name === 'profile' && profile) out.push(profileResource(req, profile, []));
      const metric = req.account.metrics.get(event.metricId);
      if (name === 'metric' && metric) out.push(metricResource(req, metric));
    }
  }
  return out;
}

const getEvents: Handler = (req) => {
  const terms = parseOperationFilter(req, 'get_events');
  const sort = parseSort(req, ['datetime', 'timestamp']);
  const eventField = (event: SandboxEvent, field: string) =>
    field === 'metric_id' || field === 'metric'
      ? event.metricId
      : field === 'profile_id' || field === 'profile'
        ? event.profileId
        : field === 'timestamp'
          ? event.time / 1000
          : event.time;
  let events = req.account.events.filter((event) =>
    terms.every((term) => matchTerm(term, eventField(event, term.field))),
  );
  if (sort) events = events.sort((a, b) => (a.time - b.time) * (sort.descending ? -1 : 1));
  const { page, links } = paginate(req, events, pageSize(req, 200, 1000));
  const body: Json = { data: page.map((event) => eventResource(req, event)), links };
  const extra = included(req, page);
  if (extra) body.included = extra;
  return { status: 200, body };
};

function requireEvent(req: ApiRequest): SandboxEvent {
  const event = req.account.eventsById.get(req.params.id);
  if (!event) throw notFound(`An event with id ${req.params.id} does not exist.`);
  return event;
}

const getEvent: Handler = (req) => {
  const event = requireEvent(req);
  const body: Json = {
    data: eventResource(req, event),
    links: { self: `${req.base}/api/events/${event.id}/` },
  };
  const extra = included(req, [event]);
  if (extra) body.included = extra;
  return { status: 200, body };
};

function requireMetric(req: ApiRequest, id: string): Metric {
  const metric = req.account.metrics.get(id);
  if (!metric) throw notFound(`A metric with id ${id} does not exist.`);
  return metric;
}

const getMetrics: Handler = (req) => {
  const terms = parseOperationFilter(req, 'get_metrics');
  const metrics = [...req.account.metrics.values()].filter((metric) =>
    terms.every((term) =>
      matchTerm(
        term,
        term.field === 'integration.name' ? (metric.service === 'api' ? 'API' : metric.service) : 'API',
      ),
    ),
  );
  const { page, links } = paginate(req, metrics, 200);
  return { status: 200, body: { data: page.map((metric) => metricResource(req, metric)), links } };
};

const single = (req: ApiRequest, data: Json, self: string) => ({
  status: 200,
  body: { data, links: { self: `${req.base}${self}` } },
});

export const eventHandlers: Record<string, Handler> = {
  create_event: createEvent,
  get_events: getEvents,
  get_event: getEvent,
  get_metrics: getMetrics,
  get_metric: (req) => single(req, metricResource(req, requireMetric(req, req.params.id)), req.path),
  get_metric_for_event: (req) =>
    single(req, metricResource(req, requireMetric(req, requireEvent(req).metricId)), req.path),
  get_metric_id_for_event: (req) => single(req, { type: 'metric', id: requireEvent(req).metricId }, req.path),
  get_profile_id_for_event: (req) =>
    single(req, { type: 'profile', id: requireEvent(req).profileId }, req.path),
  get_profile_for_event: (req) => {
    const profile = req.account.profiles.byId.get(requireEvent(req).profileId);
    if (!profile) throw new ApiError(404, 'not_found', 'The profile of this event no longer exists.');
    return single(req, profileResource(req, profile), req.path);
  },
};
