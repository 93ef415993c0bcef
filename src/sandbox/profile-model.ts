// Profile rules shared by every operation that writes profiles (create, update, import, bulk import, events,
// subscriptions): attribute validation, `null` clears / omitted keeps, identifier conflicts (409
// duplicate_profile) and the JSON:API shape of a profile.
import {
  ApiError,
  type ApiRequest,
  checkDeclared,
  checkEmail,
  checkPhone,
  invalid,
  isObject,
  iso,
  type Json,
  optionalString,
  relationship,
  sparse,
} from './http.ts';
import {
  type ChannelConsent,
  IDENTIFIERS,
  type Identifier,
  Profile,
  type ProfileStore,
  ulid,
} from './state.ts';

const TEXT_FIELDS = ['first_name', 'last_name', 'organization', 'locale', 'title', 'image'] as const;
const LOCATION_FIELDS = [
  'address1',
  'address2',
  'city',
  'country',
  'region',
  'zip',
  'timezone',
  'ip',
  'latitude',
  'longitude',
];

/** The profile attributes Klaviyo's schemas declare for create and update (`ProfileCreateQuery`, …). */
export const PROFILE_ATTRIBUTES: readonly string[] = [
  'email',
  'phone_number',
  'external_id',
  ...TEXT_FIELDS,
  'location',
  'properties',
];
/** Create-or-update and bulk import also declare `_kx` (accepted, not modelled). */
export const IMPORT_ATTRIBUTES: readonly string[] = [...PROFILE_ATTRIBUTES, '_kx'];
/** An event's profile also declares `anonymous_id` (and, on create event, `meta`). */
export const EVENT_PROFILE_ATTRIBUTES: readonly string[] = [...IMPORT_ATTRIBUTES, 'anonymous_id', 'meta'];

/** Identifier values found in attributes, validated; `null` means "clear it". */
export function readIdentifiers(
  attributes: Json,
  pointer: string,
): Partial<Record<Identifier, string | null>> {
  const out: Partial<Record<Identifier, string | null>> = {};
  for (const identifier of IDENTIFIERS) {
    const value = attributes[identifier];
    if (value === undefined) continue;
    if (value === null) out[identifier] = null;
    else if (identifier === 'email') out.email = checkEmail(value, `${pointer}/email`);
    else if (identifier === 'phone_number') out.phone_number = checkPhone(value, `${pointer}/phone_number`);
    else if (typeof value !== 'string' || value === '')
      throw invalid("'external_id' must be a non-empty string.", { pointer: `${pointer}/external_id` });
    else out.external_id = value;
  }
  return out;
}

export function duplicateProfile(profileId: string): ApiError {
  return new ApiError(
    409,
    'duplicate_profile',
    'A profile already exists with one of these identifiers.',
    { pointer: '/data/attributes' },
    { duplicate_profile_id: profileId },
  );
}

/**
 * Checks the attributes before anything is written, so a bad value changes nothing: only the fields the
 * operation's schema declares (`declared`), each of the right type.
 */
export function validateAttributes(
  attributes: Json,
  pointer: string,
  declared: readonly string[] = PROFILE_ATTRIBUTES,
): void {
  checkDeclared(attributes, declared, pointer, "the resource 'profile'");
  for (const field of TEXT_FIELDS) optionalString(attributes, field, pointer);
  const location = attributes.location;
  if (location !== undefined && location !== null) {
    if (!isObject(location))
      throw invalid("'location' must be an object.", { pointer: `${pointer}/location` });
    for (const key of Object.keys(location)) {
      if (!LOCATION_FIELDS.includes(key))
        throw invalid(`'${key}' is not a valid location field.`, { pointer: `${pointer}/location/${key}` });
    }
  }
  const properties = attributes.properties;
  if (properties !== undefined && properties !== null && !isObject(properties)) {
    throw invalid("'properties' must be an object.", { pointer: `${pointer}/properties` });
  }
}

/** Writes validated attributes: `null` clears a field, an omitted field stays as it is. */
export function applyAttributes(
  store: ProfileStore,
  profile: Profile,
  attributes: Json,
  identifiers: Partial<Record<Identifier, string | null>>,
  meta: unknown,
  now: number,
): void {
  for (const identifier of IDENTIFIERS) {
    const value = identifiers[identifier];
    if (value !== undefined) store.setIdentifier(profile, identifier, value ?? undefined);
  }
  for (const field of TEXT_FIELDS) {
    const value = attributes[field];
    if (value !== undefined) profile[field] = (value as string | null) ?? undefined;
  }
  const location = attributes.location;
  if (location === null) profile.location = undefined;
  else if (isObject(location)) {
    const merged: Json = { ...profile.location };
    for (const [key, value] of Object.entries(location)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    profile.location = Object.keys(merged).length > 0 ? merged : undefined;
  }
  const properties = attributes.properties;
  if (properties === null) profile.properties = undefined;
  else if (isObject(properties)) profile.properties = { ...profile.properties, ...properties };
  if (isObject(meta) && isObject(meta.patch_properties)) applyPatchProperties(profile, meta.patch_properties);
  profile.updated = now;
}

function applyPatchProperties(profile: Profile, patch: Json): void {
  const properties: Json = { ...profile.properties };
  if (isObject(patch.append)) {
    for (const [key, value] of Object.entries(patch.append)) {
      const current = properties[key];
      properties[key] = [
        ...(Array.isArray(current) ? current : current === undefined ? [] : [current]),
        value,
      ];
    }
  }
  if (isObject(patch.unappend)) {
    for (const [key, value] of Object.entries(patch.unappend)) {
      const current = properties[key];
      if (Array.isArray(current)) properties[key] = current.filter((item) => item !== value);
    }
  }
  const unset =
    typeof patch.unset === 'string' ? [patch.unset] : Array.isArray(patch.unset) ? patch.unset : [];
  for (const key of unset) delete properties[String(key)];
  profile.properties = Object.keys(properties).length > 0 ? properties : undefined;
}

/** The existing profiles the given identifiers point at (deduplicated). */
export function profilesMatching(
  store: ProfileStore,
  identifiers: Partial<Record<Identifier, string | null>>,
): Profile[] {
  const found: Profile[] = [];
  for (const identifier of IDENTIFIERS) {
    const value = identifiers[identifier];
    if (!value) continue;
    const profile = store.find(identifier, value);
    if (profile && !found.includes(profile)) found.push(profile);
  }
  return found;
}

export interface UpsertInput {
  id?: unknown;
  attributes: Json;
  meta?: unknown;
  pointer: string;
  /** the attributes the operation declares (default: those of create-or-update and bulk import) */
  declared?: readonly string[];
}

/**
 * Klaviyo's create-or-update: `id` (when given) wins the lookup, then any identifier; identifiers that point at
 * two different profiles are a 409 duplicate_profile. Returns the profile and whether it was created.
 */
export function upsertProfile(
  store: ProfileStore,
  input: UpsertInput,
  now: number,
): { profile: Profile; created: boolean } {
  const identifiers = readIdentifiers(input.attributes, input.pointer);
  validateAttributes(input.attributes, input.pointer, input.declared ?? IMPORT_ATTRIBUTES);
  let target: Profile | undefined;
  if (input.id !== undefined && input.id !== null) {
    if (typeof input.id !== 'string') throw invalid("'id' must be a string.", { pointer: '/data/id' });
    target = store.byId.get(input.id);
    if (!target) throw new ApiError(404, 'not_found', `A profile with id ${input.id} does not exist.`);
  }
  const matches = profilesMatching(store, identifiers);
  if (!target) {
    if (matches.length > 1) throw duplicateProfile(matches[1].id);
    target = matches[0];
  } else {
    const other = matches.find((profile) => profile !== target);
    if (other) throw duplicateProfile(other.id);
  }
  if (target) {
    applyAttributes(store, target, input.attributes, identifiers, input.meta, now);
    return { profile: target, created: false };
  }
  if (!identifiers.email && !identifiers.phone_number && !identifiers.external_id) {
    throw invalid('One of `email`, `phone_number` or `external_id` is required.', { pointer: input.pointer });
  }
  const profile = new Profile(ulid(now), now);
  for (const identifier of IDENTIFIERS) profile[identifier] = identifiers[identifier] ?? undefined;
  store.add(profile);
  applyAttributes(store, profile, input.attributes, {}, input.meta, now);
  return { profile, created: true };
}

function consentObject(consent: ChannelConsent | undefined, flag: string): Json {
  return {
    [flag]: consent?.consent === 'SUBSCRIBED',
    consent: consent?.consent ?? 'NEVER_SUBSCRIBED',
    consent_timestamp: iso(consent?.timestamp),
    method: consent?.method ?? null,
    method_detail: null,
    last_updated: iso(consent?.timestamp),
  };
}

function subscriptionsOf(profile: Profile): Json {
  const email = consentObject(profile.consents?.emailMarketing, 'can_receive_email_marketing');
  email.custom_method_detail = null;
  email.double_optin = null;
  const unsubscribed = profile.consents?.emailMarketing?.consent === 'UNSUBSCRIBED';
  email.suppression = unsubscribed
    ? [{ reason: 'UNSUBSCRIBE', timestamp: iso(profile.consents?.emailMarketing?.timestamp) }]
    : [];
  email.list_suppressions = [];
  return {
    email: { marketing: email },
    sms: {
      marketing: consentObject(profile.consents?.smsMarketing, 'can_receive_sms_marketing'),
      transactional: consentObject(profile.consents?.smsTransactional, 'can_receive_sms_transactional'),
    },
  };
}

export function profileAttributes(profile: Profile): Json {
  const location: Json = {};
  for (const field of LOCATION_FIELDS) location[field] = profile.location?.[field] ?? null;
  return {
    email: profile.email ?? null,
    phone_number: profile.phone_number ?? null,
    external_id: profile.external_id ?? null,
    first_name: profile.first_name ?? null,
    last_name: profile.last_name ?? null,
    organization: profile.organization ?? null,
    locale: profile.locale ?? null,
    title: profile.title ?? null,
    image: profile.image ?? null,
    created: iso(profile.created),
    updated: iso(profile.updated),
    last_event_date: iso(profile.lastEventDate),
    location,
    properties: profile.properties ?? {},
  };
}

export function additionalFields(req: ApiRequest): string[] {
  const raw = req.query.get('additional-fields[profile]');
  if (!raw) return [];
  const fields = raw.split(',');
  for (const field of fields) {
    if (field !== 'subscriptions' && field !== 'predictive_analytics') {
      throw invalid(`'${field}' is not a valid additional field for profiles.`, {
        parameter: 'additional-fields[profile]',
      });
    }
  }
  return fields;
}

export function profileResource(
  req: ApiRequest,
  profile: Profile,
  extra: string[] = additionalFields(req),
): Json {
  const attributes = sparse(req, 'profile', profileAttributes(profile));
  if (extra.includes('subscriptions')) attributes.subscriptions = subscriptionsOf(profile);
  if (extra.includes('predictive_analytics'))
    attributes.predictive_analytics = { historic_clv: null, predicted_clv: null, total_clv: null };
  const self = `/api/profiles/${profile.id}`;
  return {
    type: 'profile',
    id: profile.id,
    attributes,
    relationships: {
      lists: relationship(req, self, 'lists', undefined),
      segments: relationship(req, self, 'segments', undefined),
    },
    links: { self: `${req.base}${self}/` },
  };
}
