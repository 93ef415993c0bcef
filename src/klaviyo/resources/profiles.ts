import { fetchPage, iterateAll, type KlaviyoResource, type Page, pageSize } from '../pagination.ts';
import type { KlaviyoTransport, QueryValue } from '../transport.ts';
import { type Attributes, csv, defined, single } from './shared.ts';
import { endpoint } from '../endpoints.ts';

export interface ProfileAttributes extends Attributes {
  email?: string | null;
  phone_number?: string | null;
  external_id?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  organization?: string | null;
  locale?: string | null;
  title?: string | null;
  image?: string | null;
  location?: Record<string, unknown> | null;
  properties?: Record<string, unknown>;
}

/** meta.patch_properties: append/unappend/unset for list and custom properties. */
export interface ProfileMeta {
  patch_properties?: { append?: Attributes; unappend?: Attributes; unset?: string | string[] };
}

export interface ProfileReadOptions {
  /** Sparse fieldset for `fields[profile]`. */
  fields?: readonly string[];
  /** `additional-fields[profile]`: subscriptions, predictive_analytics. */
  additionalFields?: readonly string[];
}

export interface ProfileListOptions extends ProfileReadOptions {
  /** A Klaviyo filter expression, e.g. `greater-than(updated,2026-01-01T00:00:00Z)`. */
  filter?: string;
  /** e.g. `updated` or `-updated`. */
  sort?: string;
  pageSize?: number;
  /** A `links.next` URL from an earlier page. */
  next?: string;
}

export interface ProfileImportInput {
  /** Klaviyo's profile id; when set Klaviyo looks up by it. */
  id?: string;
  attributes: ProfileAttributes;
  meta?: ProfileMeta;
}

function readQuery(options: ProfileReadOptions): Record<string, QueryValue> {
  return {
    'fields[profile]': csv(options.fields),
    'additional-fields[profile]': csv(options.additionalFields),
  };
}

export function profileBody(attributes: ProfileAttributes, id?: string, meta?: ProfileMeta) {
  return { data: defined({ type: 'profile', id, attributes: defined(attributes), meta }) };
}

export function profilesResource(transport: KlaviyoTransport) {
  const listQuery = (options: ProfileListOptions): Record<string, QueryValue> => ({
    ...readQuery(options),
    filter: options.filter,
    sort: options.sort,
    'page[size]': pageSize(options.pageSize, endpoint('get_profiles').maxPageSize),
  });
  return {
    async get(id: string, options: ProfileReadOptions = {}): Promise<KlaviyoResource<ProfileAttributes>> {
      const answer = await transport.call('get_profile', { pathParams: { id }, query: readQuery(options) });
      return single<ProfileAttributes>(answer);
    },
    list(options: ProfileListOptions = {}): Promise<Page<ProfileAttributes>> {
      if (options.next) return fetchPage(transport, 'get_profiles', { url: options.next });
      return fetchPage(transport, 'get_profiles', { query: listQuery(options) });
    },
    iterate(options: ProfileListOptions = {}): AsyncGenerator<KlaviyoResource<ProfileAttributes>> {
      return iterateAll(transport, 'get_profiles', { query: listQuery(options) });
    },
    /** 409 duplicate_profile surfaces as KlaviyoError with `duplicateProfileId`. */
    async create(attributes: ProfileAttributes): Promise<KlaviyoResource<ProfileAttributes>> {
      const answer = await transport.call('create_profile', { body: profileBody(attributes) });
      return single<ProfileAttributes>(answer);
    },
    /** null clears a field, an omitted field stays as it is. */
    async update(
      id: string,
      attributes: ProfileAttributes,
      meta?: ProfileMeta,
    ): Promise<KlaviyoResource<ProfileAttributes>> {
      const answer = await transport.call('update_profile', {
        pathParams: { id },
        body: profileBody(attributes, id, meta),
      });
      return single<ProfileAttributes>(answer);
    },
    /** Create-or-update (profile-import); `created` tells which happened (201 vs 200). */
    async importProfile(
      input: ProfileImportInput,
    ): Promise<{ profile: KlaviyoResource<ProfileAttributes>; created: boolean }> {
      const answer = await transport.call('create_or_update_profile', {
        body: profileBody(input.attributes, input.id, input.meta),
      });
      return { profile: single<ProfileAttributes>(answer), created: answer.status === 201 };
    },
  };
}
