// Profile operations: list (filter, sort, cursor pages, sparse fields), get, create, update, import, and a
// profile's lists.
import {
  ApiError,
  type ApiRequest,
  type ApiResult,
  attributesOf,
  dataOf,
  type FilterTerm,
  invalid,
  matchTerm,
  notFound,
  pageSize,
  paginate,
  parseOperationFilter,
  parseSort,
} from './http.ts';
import { listResource } from './lists.ts';
import {
  additionalFields,
  applyAttributes,
  duplicateProfile,
  profileResource,
  profilesMatching,
  readIdentifiers,
  upsertProfile,
  validateAttributes,
} from './profile-model.ts';
import type { Handler } from './server.ts';
import type { Identifier, Profile } from './state.ts';

const INDEXED = new Set(['id', 'email', 'phone_number', 'external_id']);
const SUPPRESSION = 'subscriptions.email.marketing.suppression.';

/**
 * A profile's value for a filter field. The only email suppression the sandbox records is an unsubscribe
 * (reason `UNSUBSCRIBE`, at the time of the unsubscribe); list suppressions and `_kx` are not modelled, so
 * their filters match no profile (docs/sandbox.md).
 */
function fieldValue(profile: Profile, field: string): unknown {
  if (field === 'created') return profile.created;
  if (field === 'updated') return profile.updated;
  if (field.startsWith(SUPPRESSION)) {
    const email = profile.consents?.emailMarketing;
    if (email?.consent !== 'UNSUBSCRIBED') return undefined;
    return field === `${SUPPRESSION}reason` ? 'UNSUBSCRIBE' : email.timestamp;
  }
  if (!INDEXED.has(field)) return undefined;
  return profile[field as 'id' | Identifier];
}

/** Uses an identifier index when the filter pins an identifier; otherwise scans in creation order. */
function candidates(req: ApiRequest, terms: FilterTerm[]): Iterable<Profile> {
  const store = req.account.profiles;
  const pinned = terms.find((term) => INDEXED.has(term.field));
  if (pinned) {
    const values = pinned.op === 'any' ? (pinned.value as unknown[]) : [pinned.value];
    const found: Profile[] = [];
    for (const value of values) {
      const text = String(value);
      const profile =
        pinned.field === 'id' ? store.byId.get(text) : store.find(pinned.field as Identifier, text);
      if (profile && !found.includes(profile)) found.push(profile);
    }
    return found.sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  return store.all();
}

function* filtered(items: Iterable<Profile>, terms: FilterTerm[]): Iterable<Profile> {
  for (const profile of items) {
    if (terms.every((term) => matchTerm(term, fieldValue(profile, term.field)))) yield profile;
  }
}

const getProfiles: Handler = (req) => {
  const terms = parseOperationFilter(req, 'get_profiles');
  const sort = parseSort(req, ['created', 'email', 'id', 'updated']);
  const size = pageSize(req, 20, 100);
  const extra = additionalFields(req);
  let items: Iterable<Profile> = filtered(candidates(req, terms), terms);
  if (sort && !(sort.field === 'id' && !sort.descending) && !(sort.field === 'created' && !sort.descending)) {
    const key = sort.field;
    const direction = sort.descending ? -1 : 1;
    items = [...items].sort((a, b) => {
      // Profiles without the field (no email) sort last, as absent values do in Klaviyo's listings.
      const left = fieldValue(a, key) as string | number | undefined;
      const right = fieldValue(b, key) as string | number | undefined;
      if (left === right) return a.id < b.id ? -direction : direction;
      if (left === undefined) return 1;
      if (right === undefined) return -1;
      return left < right ? -direction : direction;
    });
  }
  const { page, links } = paginate(req, items, size);
  return { status: 200, body: { data: page.map((profile) => profileResource(req, profile, extra)), links } };
};

export function requireProfile(req: ApiRequest, id: string): Profile {
  const profile = req.account.profiles.byId.get(id);
  if (!profile) throw notFound(`A profile with id ${id} does not exist.`);
  return profile;
}

const getProfile: Handler = (req) => {
  const profile = requireProfile(req, req.params.id);
  const include = req.query.get('include');
  const body: Record<string, unknown> = {
    data: profileResource(req, profile),
    links: { self: `${req.base}/api/profiles/${profile.id}/` },
  };
  if (include) {
    const wanted = include.split(',');
    for (const name of wanted) {
      if (name !== 'lists' && name !== 'segments' && name !== 'push-tokens' && name !== 'conversations') {
        throw invalid(`'${name}' is not an allowed include parameter for this resource.`, {
          parameter: 'include',
        });
      }
    }
    if (wanted.includes('lists')) {
      const lists = listsOf(req, profile);
      const data = body.data as { relationships: Record<string, { data?: unknown }> };
      data.relationships.lists.data = lists.map((list) => ({ type: 'list', id: list.id }));
      body.included = lists.map((list) => listResource(req, list));
    }
  }
  return { status: 200, body };
};

const createProfile: Handler = (req) => {
  const data = dataOf(req.body, 'profile');
  const attributes = attributesOf(data, '/data/attributes', true);
  const identifiers = readIdentifiers(attributes, '/data/attributes');
  validateAttributes(attributes, '/data/attributes');
  if (!identifiers.email && !identifiers.phone_number && !identifiers.external_id) {
    throw invalid('One of `email`, `phone_number` or `external_id` is required.', {
      pointer: '/data/attributes',
    });
  }
  const existing = profilesMatching(req.account.profiles, identifiers);
  if (existing.length > 0) throw duplicateProfile(existing[0].id);
  const { profile } = upsertProfile(
    req.account.profiles,
    { attributes, meta: data.meta, pointer: '/data/attributes' },
    req.now,
  );
  return { status: 201, body: { data: profileResource(req, profile) } };
};

const updateProfile: Handler = (req) => {
  const data = dataOf(req.body, 'profile');
  // A missing id is a malformed request (400); an id that names another profile is a conflict (409).
  if (data.id === undefined || data.id === null)
    throw invalid('`id` is required in the request body.', { pointer: '/data/id' });
  if (data.id !== req.params.id) {
    throw new ApiError(409, 'conflict', 'The id in the body must match the id in the URL.', {
      pointer: '/data/id',
    });
  }
  const profile = requireProfile(req, req.params.id);
  const attributes = attributesOf(data, '/data/attributes', true);
  const identifiers = readIdentifiers(attributes, '/data/attributes');
  validateAttributes(attributes, '/data/attributes');
  const other = profilesMatching(req.account.profiles, identifiers).find((found) => found !== profile);
  if (other) throw duplicateProfile(other.id);
  applyAttributes(req.account.profiles, profile, attributes, identifiers, data.meta, req.now);
  return { status: 200, body: { data: profileResource(req, profile) } };
};

const createOrUpdateProfile: Handler = (req) => {
  const data = dataOf(req.body, 'profile');
  const attributes = attributesOf(data, '/data/attributes', true);
  const { profile, created } = upsertProfile(
    req.account.profiles,
    { id: data.id, attributes, meta: data.meta, pointer: '/data/attributes' },
    req.now,
  );
  return { status: created ? 201 : 200, body: { data: profileResource(req, profile) } };
};

function listsOf(req: ApiRequest, profile: Profile) {
  return [...req.account.lists.values()].filter((list) => list.members.has(profile.id));
}

const getListsForProfile: Handler = (req) => {
  const profile = requireProfile(req, req.params.id);
  const self = `${req.base}/api/profiles/${profile.id}/lists/`;
  return {
    status: 200,
    body: { data: listsOf(req, profile).map((list) => listResource(req, list)), links: { self } },
  };
};

const getListIdsForProfile: Handler = (req): ApiResult => {
  const profile = requireProfile(req, req.params.id);
  const self = `${req.base}/api/profiles/${profile.id}/relationships/lists/`;
  return {
    status: 200,
    body: { data: listsOf(req, profile).map((list) => ({ type: 'list', id: list.id })), links: { self } },
  };
};

export const profileHandlers: Record<string, Handler> = {
  get_profiles: getProfiles,
  get_profile: getProfile,
  create_profile: createProfile,
  update_profile: updateProfile,
  create_or_update_profile: createOrUpdateProfile,
  get_lists_for_profile: getListsForProfile,
  get_list_ids_for_profile: getListIdsForProfile,
};
