// Catalog items and variants: CRUD, lists with filters, and bulk create/update/delete jobs (≤ 100 resources
// per job, ≤ 500 jobs in flight per account). Ids are Klaviyo's compound `$custom:::$default:::<external_id>`.
import {
  ApiError,
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
import { jobExpiresAt, jobProgress, newJob } from './jobs.ts';
import type { Handler } from './server.ts';
import type { Account, CatalogItem, CatalogVariant, Job } from './state.ts';

type Kind = 'item' | 'variant';

const FIELDS: Record<Kind, { required: string[]; strings: string[]; numbers: string[] }> = {
  item: {
    required: ['external_id', 'title', 'description', 'url'],
    strings: ['external_id', 'title', 'description', 'url', 'image_full_url', 'image_thumbnail_url'],
    numbers: ['price'],
  },
  variant: {
    required: ['external_id', 'title', 'description', 'sku', 'inventory_quantity', 'price', 'url'],
    strings: ['external_id', 'title', 'description', 'sku', 'url', 'image_full_url', 'image_thumbnail_url'],
    numbers: ['price', 'inventory_quantity'],
  },
};
const OUTPUT: Record<Kind, string[]> = {
  item: [
    'external_id',
    'title',
    'description',
    'price',
    'url',
    'image_full_url',
    'image_thumbnail_url',
    'images',
    'custom_metadata',
    'published',
  ],
  variant: [
    'external_id',
    'title',
    'description',
    'sku',
    'inventory_policy',
    'inventory_quantity',
    'price',
    'url',
    'image_full_url',
    'image_thumbnail_url',
    'images',
    'custom_metadata',
    'published',
  ],
};

const store = (account: Account, kind: Kind): Map<string, CatalogItem | CatalogVariant> =>
  kind === 'item' ? account.catalogItems : account.catalogVariants;
const typeOf = (kind: Kind) => `catalog-${kind}`;
const pathOf = (kind: Kind) => `/api/catalog-${kind}s`;

/** Validates attributes; `creating` demands the required ones and refuses `external_id` changes otherwise. */
function readAttributes(kind: Kind, attributes: Json, creating: boolean, pointer: string): Json {
  const rules = FIELDS[kind];
  const out: Json = {};
  for (const [key, value] of Object.entries(attributes)) {
    // The spec declares every attribute nullable. `null` clears an optional field; a field that creation
    // requires cannot be cleared (docs/sandbox.md).
    if (value === null) {
      if (!OUTPUT[kind].includes(key) && key !== 'integration_type' && key !== 'catalog_type')
        throw invalid(`'${key}' is not a valid field for the resource '${typeOf(kind)}'.`, {
          pointer: `${pointer}/${key}`,
        });
      if (rules.required.includes(key))
        throw invalid(`'${key}' cannot be null.`, { pointer: `${pointer}/${key}` });
      if (key !== 'integration_type' && key !== 'catalog_type') out[key] = null;
      continue;
    }
    if (key === 'integration_type') {
      if (value !== '$custom')
        throw invalid("'integration_type' must be '$custom'.", { pointer: `${pointer}/${key}` });
      continue;
    }
    if (key === 'catalog_type') {
      if (value !== '$default')
        throw invalid("'catalog_type' must be '$default'.", { pointer: `${pointer}/${key}` });
      continue;
    }
    if (!creating && key === 'external_id')
      throw invalid("'external_id' cannot be changed.", { pointer: `${pointer}/${key}` });
    if (rules.strings.includes(key) && typeof value !== 'string')
      throw invalid(`'${key}' must be a string.`, { pointer: `${pointer}/${key}` });
    if (rules.numbers.includes(key) && (typeof value !== 'number' || !Number.isFinite(value)))
      throw invalid(`'${key}' must be a number.`, { pointer: `${pointer}/${key}` });
    if (key === 'published' && typeof value !== 'boolean')
      throw invalid("'published' must be a boolean.", { pointer: `${pointer}/${key}` });
    if (key === 'inventory_policy' && value !== 0 && value !== 1 && value !== 2)
      throw invalid("'inventory_policy' must be 0, 1 or 2.", { pointer: `${pointer}/${key}` });
    if (key === 'custom_metadata' && (!isObject(value) || JSON.stringify(value).length > 100 * 1024))
      throw invalid("'custom_metadata' must be an object of at most 100 KB.", {
        pointer: `${pointer}/${key}`,
      });
    if (key === 'images' && (!Array.isArray(value) || value.some((image) => typeof image !== 'string')))
      throw invalid("'images' must be a list of URLs.", { pointer: `${pointer}/${key}` });
    if (!OUTPUT[kind].includes(key))
      throw invalid(`'${key}' is not a valid field for the resource '${typeOf(kind)}'.`, {
        pointer: `${pointer}/${key}`,
      });
    out[key] = value;
  }
  if (creating) {
    for (const key of rules.required)
      if (out[key] === undefined) throw invalid(`'${key}' is required.`, { pointer: `${pointer}/${key}` });
  }
  return out;
}

function itemIdOf(data: Json, pointer: string): string {
  const relationships = isObject(data.relationships) ? data.relationships : {};
  const item = isObject(relationships.item) ? relationships.item.data : undefined;
  if (!isObject(item) || item.type !== 'catalog-item' || typeof item.id !== 'string') {
    throw invalid('A variant needs its item: relationships.item.data {type: catalog-item, id}.', {
      pointer: `${pointer}/relationships/item`,
    });
  }
  return item.id;
}

function create(account: Account, kind: Kind, data: Json, pointer: string, now: number): CatalogItem {
  const attributes = readAttributes(
    kind,
    attributesOf(data, `${pointer}/attributes`),
    true,
    `${pointer}/attributes`,
  );
  const itemId = kind === 'variant' ? itemIdOf(data, pointer) : undefined;
  if (itemId !== undefined && !account.catalogItems.has(itemId))
    throw notFound(`A catalog item with id ${itemId} does not exist.`);
  const id = `$custom:::$default:::${attributes.external_id}`;
  const resources = store(account, kind);
  if (resources.has(id)) {
    throw new ApiError(409, 'conflict', `A catalog ${kind} with id ${id} already exists.`, {
      pointer: `${pointer}/attributes/external_id`,
    });
  }
  if (attributes.published === undefined || attributes.published === null) attributes.published = true;
  const resource: CatalogItem = { id, attributes, created: now, updated: now };
  if (itemId !== undefined) (resource as CatalogVariant).itemId = itemId;
  resources.set(id, resource);
  return resource;
}

function update(
  account: Account,
  kind: Kind,
  id: string,
  data: Json,
  pointer: string,
  now: number,
): CatalogItem {
  const resource = store(account, kind).get(id);
  if (!resource) throw notFound(`A catalog ${kind} with id ${id} does not exist.`);
  const attributes = readAttributes(
    kind,
    attributesOf(data, `${pointer}/attributes`),
    false,
    `${pointer}/attributes`,
  );
  Object.assign(resource.attributes, attributes);
  resource.updated = now;
  return resource;
}

function remove(account: Account, kind: Kind, id: string): void {
  if (!store(account, kind).delete(id)) throw notFound(`A catalog ${kind} with id ${id} does not exist.`);
  if (kind === 'item') {
    for (const [variantId, variant] of account.catalogVariants)
      if (variant.itemId === id) account.catalogVariants.delete(variantId);
  }
}

function resource(req: ApiRequest, kind: Kind, item: CatalogItem): Json {
  const attributes: Json = {};
  for (const key of OUTPUT[kind]) attributes[key] = item.attributes[key] ?? (key === 'images' ? [] : null);
  attributes.created = iso(item.created);
  attributes.updated = iso(item.updated);
  const self = `${pathOf(kind)}/${encodeURIComponent(item.id)}`;
  const out: Json = {
    type: typeOf(kind),
    id: item.id,
    attributes: sparse(req, typeOf(kind), attributes),
    links: { self: `${req.base}${self}/` },
  };
  if (kind === 'variant')
    out.relationships = {
      item: relationship(req, self, 'item', { type: 'catalog-item', id: (item as CatalogVariant).itemId }),
    };
  return out;
}

function list(kind: Kind, operationId: string, items: (req: ApiRequest) => Iterable<CatalogItem>): Handler {
  return (req) => {
    const terms = parseOperationFilter(req, operationId);
    const sort = parseSort(req, ['created']);
    let found = [...items(req)].filter((item) =>
      terms.every((term) => {
        if (term.field === 'ids') return matchTerm(term, item.id);
        if (term.field === 'item.id') return matchTerm(term, (item as CatalogVariant).itemId);
        if (term.field === 'category.id') return false;
        return matchTerm(term, item.attributes[term.field]);
      }),
    );
    if (sort) found = found.sort((a, b) => (a.created - b.created) * (sort.descending ? -1 : 1));
    const { page, links } = paginate(req, found, pageSize(req, 100, 100));
    return { status: 200, body: { data: page.map((item) => resource(req, kind, item)), links } };
  };
}

const MAX_JOBS_IN_FLIGHT = 500;
type Action = 'create' | 'update' | 'delete';

function bulk(kind: Kind, action: Action): Handler {
  const jobType = `catalog-${kind}-bulk-${action}-job`;
  return (req) => {
    const attributes = attributesOf(dataOf(req.body, jobType));
    const listName = `${kind}s`;
    const entries = isObject(attributes[listName]) ? (attributes[listName] as Json).data : undefined;
    const pointer = `/data/attributes/${listName}/data`;
    if (!Array.isArray(entries) || entries.length === 0)
      throw invalid(`'${listName}' must contain at least one resource.`, { pointer });
    if (entries.length > 100) throw invalid('At most 100 resources can be given per job.', { pointer });
    entries.forEach((entry, i) => {
      if (!isObject(entry) || entry.type !== typeOf(kind))
        throw invalid(`Each entry must have type '${typeOf(kind)}'.`, { pointer: `${pointer}/${i}` });
      if (action !== 'create' && typeof entry.id !== 'string')
        throw invalid("Each entry needs an 'id'.", { pointer: `${pointer}/${i}/id` });
      if (action !== 'delete')
        readAttributes(
          kind,
          attributesOf(entry, `${pointer}/${i}/attributes`),
          action === 'create',
          `${pointer}/${i}/attributes`,
        );
    });
    if (req.state.jobsInFlight(req.account, 'catalog-') >= MAX_JOBS_IN_FLIGHT) {
      throw new ApiError(429, 'throttled', `At most ${MAX_JOBS_IN_FLIGHT} catalog jobs can be in progress.`);
    }
    const { account, state } = req;
    const job = newJob(jobType, entries.length, req.now, (running) => {
      entries.forEach((entry: Json, i: number) => {
        try {
          const now = state.now();
          if (action === 'create')
            running.resultIds.push(create(account, kind, entry, `${pointer}/${i}`, now).id);
          else if (action === 'update')
            running.resultIds.push(
              update(account, kind, entry.id as string, entry, `${pointer}/${i}`, now).id,
            );
          else remove(account, kind, entry.id as string);
          running.completedCount++;
        } catch (error) {
          const known = error instanceof ApiError ? error : new ApiError(500, 'error', 'Processing failed.');
          running.errors.push({
            id: String(running.errors.length + 1),
            code: known.code,
            title: known.title,
            detail: known.message,
            source: { pointer: `${pointer}/${i}` },
          });
          running.failedCount++;
        }
      });
      return true;
    });
    state.enqueue(account, job);
    return { status: 202, body: { data: jobResource(req, kind, action, job) } };
  };
}

function jobResource(req: ApiRequest, kind: Kind, action: Action, job: Job): Json {
  const self = `/api/catalog-${kind}-bulk-${action}-jobs/${job.id}`;
  const out: Json = {
    type: job.type,
    id: job.id,
    attributes: {
      ...jobProgress(job),
      errors: job.errors.map(({ id, code, title, detail, source }) => ({ id, code, title, detail, source })),
      expires_at: jobExpiresAt(job),
    },
    links: { self: `${req.base}${self}/` },
  };
  if (action !== 'delete')
    out.relationships = {
      [`${kind}s`]: relationship(
        req,
        self,
        `${kind}s`,
        job.resultIds.map((id) => ({ type: typeOf(kind), id })),
      ),
    };
  return out;
}

function getJob(kind: Kind, action: Action): Handler {
  return (req) => {
    const job = req.account.jobs.get(req.params.job_id);
    if (!job || job.type !== `catalog-${kind}-bulk-${action}-job`)
      throw notFound(`A job with id ${req.params.job_id} does not exist.`);
    return {
      status: 200,
      body: { data: jobResource(req, kind, action, job), links: { self: `${req.base}${req.path}` } },
    };
  };
}

function crud(kind: Kind): Record<string, Handler> {
  const get: Handler = (req) => {
    const item = store(req.account, kind).get(req.params.id);
    if (!item) throw notFound(`A catalog ${kind} with id ${req.params.id} does not exist.`);
    return {
      status: 200,
      body: { data: resource(req, kind, item), links: { self: `${req.base}${req.path}` } },
    };
  };
  return {
    [`get_catalog_${kind}s`]: list(kind, `get_catalog_${kind}s`, (req) => store(req.account, kind).values()),
    [`get_catalog_${kind}`]: get,
    [`create_catalog_${kind}`]: (req) => ({
      status: 201,
      body: {
        data: resource(
          req,
          kind,
          create(req.account, kind, dataOf(req.body, typeOf(kind)), '/data', req.now),
        ),
      },
    }),
    [`update_catalog_${kind}`]: (req) => {
      const data = dataOf(req.body, typeOf(kind));
      if (data.id !== req.params.id)
        throw invalid('The id in the body must match the id in the URL.', { pointer: '/data/id' });
      return {
        status: 200,
        body: { data: resource(req, kind, update(req.account, kind, req.params.id, data, '/data', req.now)) },
      };
    },
    [`delete_catalog_${kind}`]: (req) => {
      remove(req.account, kind, req.params.id);
      return { status: 204 };
    },
  };
}

export const catalogHandlers: Record<string, Handler> = {
  ...crud('item'),
  ...crud('variant'),
  get_variants_for_catalog_item: list('variant', 'get_variants_for_catalog_item', (req) => {
    if (!req.account.catalogItems.has(req.params.id))
      throw notFound(`A catalog item with id ${req.params.id} does not exist.`);
    return [...req.account.catalogVariants.values()].filter((variant) => variant.itemId === req.params.id);
  }),
  bulk_create_catalog_items: bulk('item', 'create'),
  bulk_update_catalog_items: bulk('item', 'update'),
  bulk_delete_catalog_items: bulk('item', 'delete'),
  bulk_create_catalog_variants: bulk('variant', 'create'),
  bulk_update_catalog_variants: bulk('variant', 'update'),
  bulk_delete_catalog_variants: bulk('variant', 'delete'),
  get_bulk_create_catalog_items_job: getJob('item', 'create'),
  get_bulk_update_catalog_items_job: getJob('item', 'update'),
  get_bulk_delete_catalog_items_job: getJob('item', 'delete'),
  get_bulk_create_variants_job: getJob('variant', 'create'),
  get_bulk_update_variants_job: getJob('variant', 'update'),
  get_bulk_delete_variants_job: getJob('variant', 'delete'),
};
