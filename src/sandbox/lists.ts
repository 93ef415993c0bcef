// List operations: list (10 a page), get (with profile_count), create, update, delete, members and their ids,
// add and remove members (profile ids only, at most 1,000, consent untouched).
import {
  type ApiRequest,
  attributesOf,
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
import { additionalFields, profileResource } from './profile-model.ts';
import type { Handler } from './server.ts';
import { type Profile, type SandboxList, shortId } from './state.ts';

export function listResource(req: ApiRequest, list: SandboxList, withCount = false): Json {
  const attributes: Json = sparse(req, 'list', {
    name: list.name,
    created: iso(list.created),
    updated: iso(list.updated),
    opt_in_process: list.optInProcess,
  });
  if (withCount) attributes.profile_count = list.members.size;
  const self = `/api/lists/${list.id}`;
  return {
    type: 'list',
    id: list.id,
    attributes,
    relationships: {
      profiles: relationship(req, self, 'profiles', undefined),
      tags: relationship(req, self, 'tags', undefined),
      'flow-triggers': relationship(req, self, 'flow-triggers', undefined),
    },
    links: { self: `${req.base}${self}/` },
  };
}

export function requireList(req: ApiRequest, id: string): SandboxList {
  const list = req.account.lists.get(id);
  if (!list) throw notFound(`A list with id ${id} does not exist.`);
  return list;
}

const getLists: Handler = (req) => {
  const terms = parseOperationFilter(req, 'get_lists');
  const sort = parseSort(req, ['created', 'id', 'name', 'updated']);
  const size = pageSize(req, 10, 10);
  let lists = [...req.account.lists.values()].filter((list) =>
    terms.every((term) =>
      matchTerm(
        term,
        term.field === 'created'
          ? list.created
          : term.field === 'updated'
            ? list.updated
            : list[term.field as 'id' | 'name'],
      ),
    ),
  );
  if (sort) {
    const direction = sort.descending ? -1 : 1;
    const key = sort.field as 'created' | 'id' | 'name' | 'updated';
    lists = lists.sort((a, b) => (a[key] < b[key] ? -direction : a[key] > b[key] ? direction : 0));
  }
  const { page, links } = paginate(req, lists, size);
  return { status: 200, body: { data: page.map((list) => listResource(req, list)), links } };
};

const getList: Handler = (req) => {
  const list = requireList(req, req.params.id);
  const extra = req.query.get('additional-fields[list]');
  if (extra && extra !== 'profile_count') {
    throw invalid(`'${extra}' is not a valid additional field for lists.`, {
      parameter: 'additional-fields[list]',
    });
  }
  return {
    status: 200,
    body: {
      data: listResource(req, list, extra === 'profile_count'),
      links: { self: `${req.base}/api/lists/${list.id}/` },
    },
  };
};

function readListAttributes(
  attributes: Json,
  requireName: boolean,
): { name?: string; optInProcess?: SandboxList['optInProcess'] } {
  const { name, opt_in_process: optIn } = attributes;
  if (name === undefined ? requireName : typeof name !== 'string' || name.trim() === '') {
    throw invalid("'name' is required and must be a non-empty string.", { pointer: '/data/attributes/name' });
  }
  if (optIn !== undefined && optIn !== 'double_opt_in' && optIn !== 'single_opt_in') {
    throw invalid("'opt_in_process' must be 'double_opt_in' or 'single_opt_in'.", {
      pointer: '/data/attributes/opt_in_process',
    });
  }
  return { name: name as string | undefined, optInProcess: optIn as SandboxList['optInProcess'] | undefined };
}

const createList: Handler = (req) => {
  const { name, optInProcess } = readListAttributes(attributesOf(dataOf(req.body, 'list')), true);
  const list: SandboxList = {
    id: shortId(6),
    name: name!,
    optInProcess: optInProcess ?? 'single_opt_in',
    created: req.now,
    updated: req.now,
    members: new Map(),
  };
  req.account.lists.set(list.id, list);
  return { status: 201, body: { data: listResource(req, list) } };
};

const updateList: Handler = (req) => {
  const data = dataOf(req.body, 'list');
  if (data.id !== req.params.id)
    throw invalid('The id in the body must match the id in the URL.', { pointer: '/data/id' });
  const list = requireList(req, req.params.id);
  const { name, optInProcess } = readListAttributes(attributesOf(data), false);
  if (name !== undefined) list.name = name;
  if (optInProcess !== undefined) list.optInProcess = optInProcess;
  list.updated = req.now;
  return { status: 200, body: { data: listResource(req, list) } };
};

const deleteList: Handler = (req) => {
  requireList(req, req.params.id);
  req.account.lists.delete(req.params.id);
  return { status: 204 };
};

function members(
  req: ApiRequest,
  list: SandboxList,
  operationId: 'get_profiles_for_list' | 'get_profile_ids_for_list',
): Array<{ profile: Profile; joined: number }> {
  const terms = parseOperationFilter(req, operationId);
  const sort = parseSort(req, ['joined_group_at']);
  const out: Array<{ profile: Profile; joined: number }> = [];
  for (const [id, joined] of list.members) {
    const profile = req.account.profiles.byId.get(id);
    if (!profile) continue;
    const ok = terms.every((term) =>
      matchTerm(
        term,
        term.field === 'joined_group_at'
          ? joined
          : term.field === 'email' || term.field === 'phone_number'
            ? profile[term.field]
            : undefined,
      ),
    );
    if (ok) out.push({ profile, joined });
  }
  if (sort) out.sort((a, b) => (a.joined - b.joined) * (sort.descending ? -1 : 1));
  return out;
}

const getProfilesForList: Handler = (req) => {
  const list = requireList(req, req.params.id);
  const extra = additionalFields(req);
  const { page, links } = paginate(req, members(req, list, 'get_profiles_for_list'), pageSize(req, 20, 100));
  const data = page.map(({ profile, joined }) => {
    const resource = profileResource(req, profile, extra);
    (resource.attributes as Json).joined_group_at = iso(joined);
    return resource;
  });
  return { status: 200, body: { data, links } };
};

const getProfileIdsForList: Handler = (req) => {
  const list = requireList(req, req.params.id);
  const { page, links } = paginate(
    req,
    members(req, list, 'get_profile_ids_for_list'),
    pageSize(req, 20, 1000),
  );
  return {
    status: 200,
    body: { data: page.map(({ profile }) => ({ type: 'profile', id: profile.id })), links },
  };
};

function memberIds(req: ApiRequest): string[] {
  const body = req.body;
  if (!isObject(body) || !Array.isArray(body.data))
    throw invalid('`data` must be a list of profiles.', { pointer: '/data' });
  if (body.data.length > 1000)
    throw invalid('At most 1000 profiles can be given per request.', { pointer: '/data' });
  return body.data.map((entry, i) => {
    if (!isObject(entry) || entry.type !== 'profile' || typeof entry.id !== 'string') {
      throw invalid("Each entry must be {type: 'profile', id}.", { pointer: `/data/${i}` });
    }
    if (!req.account.profiles.byId.has(entry.id))
      throw invalid(`A profile with id ${entry.id} does not exist.`, { pointer: `/data/${i}/id` });
    return entry.id;
  });
}

const addProfilesToList: Handler = (req) => {
  const list = requireList(req, req.params.id);
  for (const id of memberIds(req)) if (!list.members.has(id)) list.members.set(id, req.now);
  return { status: 204 };
};

const removeProfilesFromList: Handler = (req) => {
  const list = requireList(req, req.params.id);
  for (const id of memberIds(req)) list.members.delete(id);
  return { status: 204 };
};

export const listHandlers: Record<string, Handler> = {
  get_lists: getLists,
  get_list: getList,
  create_list: createList,
  update_list: updateList,
  delete_list: deleteList,
  get_profiles_for_list: getProfilesForList,
  get_profile_ids_for_list: getProfileIdsForList,
  add_profiles_to_list: addProfilesToList,
  remove_profiles_from_list: removeProfilesFromList,
};
