import { fetchPage, iterateAll, type KlaviyoResource, type Page } from '../pagination.ts';
import type { KlaviyoTransport } from '../transport.ts';
import { type Attributes, checkBatch, defined, single } from './shared.ts';

export interface ListAttributes extends Attributes {
  name?: string;
  opt_in_process?: 'double_opt_in' | 'single_opt_in';
  created?: string;
  updated?: string;
}

export function createListBody(name: string, optInProcess?: ListAttributes['opt_in_process']) {
  return { data: { type: 'list', attributes: defined({ name, opt_in_process: optInProcess }) } };
}

export function membersBody(profileIds: readonly string[]) {
  return { data: profileIds.map((id) => ({ type: 'profile', id })) };
}

/**
 * A filter string value: double quotes, with `"` and `\` escaped by a backslash (JSON string rules, as
 * Klaviyo's own SDK quotes filter values).
 */
export function filterString(value: string): string {
  return JSON.stringify(value);
}

/**
 * Get Lists' filter for one exact name. The spec allows `name` only with `any` or `equals` over a list
 * value (x-klaviyo-filters of get_lists), so `any(name,["X"])`, not `equals(name,'X')`.
 */
export function nameFilter(name: string): string {
  return `any(name,[${filterString(name)}])`;
}

export function listsResource(transport: KlaviyoTransport) {
  return {
    list(options: { filter?: string; sort?: string; next?: string } = {}): Promise<Page<ListAttributes>> {
      if (options.next) return fetchPage(transport, 'get_lists', { url: options.next });
      return fetchPage(transport, 'get_lists', { query: { filter: options.filter, sort: options.sort } });
    },
    iterate(
      options: { filter?: string; sort?: string } = {},
    ): AsyncGenerator<KlaviyoResource<ListAttributes>> {
      return iterateAll(transport, 'get_lists', { query: { filter: options.filter, sort: options.sort } });
    },
    /** The list whose name is exactly `name` (Klaviyo's filter matches case-sensitively), or undefined. */
    async findByName(name: string): Promise<KlaviyoResource<ListAttributes> | undefined> {
      for await (const list of iterateAll<ListAttributes>(transport, 'get_lists', {
        query: { filter: nameFilter(name) },
      })) {
        if (list.attributes.name === name) return list;
      }
      return undefined;
    },
    /** Klaviyo allows 150 list creations a day per account. */
    async create(
      name: string,
      options: { optInProcess?: ListAttributes['opt_in_process'] } = {},
    ): Promise<KlaviyoResource<ListAttributes>> {
      const answer = await transport.call('create_list', {
        body: createListBody(name, options.optInProcess),
      });
      return single<ListAttributes>(answer);
    },
    /** Adds by profile id (up to 1000); consent is not changed. */
    async addMembers(listId: string, profileIds: readonly string[]): Promise<void> {
      checkBatch('add_profiles_to_list', profileIds.length);
      await transport.call('add_profiles_to_list', {
        pathParams: { id: listId },
        body: membersBody(profileIds),
      });
    },
    async removeMembers(listId: string, profileIds: readonly string[]): Promise<void> {
      checkBatch('remove_profiles_from_list', profileIds.length);
      await transport.call('remove_profiles_from_list', {
        pathParams: { id: listId },
        body: membersBody(profileIds),
      });
    },
    /** The lists a profile belongs to (a slow tier: 3/s, 60/m). */
    async forProfile(profileId: string): Promise<KlaviyoResource<ListAttributes>[]> {
      const all: KlaviyoResource<ListAttributes>[] = [];
      for await (const list of iterateAll<ListAttributes>(transport, 'get_lists_for_profile', {
        pathParams: { id: profileId },
      })) {
        all.push(list);
      }
      return all;
    },
  };
}
