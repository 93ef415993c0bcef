// Stored collections: create, replace, delete (each validated, in one transaction that also bumps the
// subscription's mapping revision), the default set, and the compiled collections the flows run, cached
// per subscription until the revision moves — so a save in one process reaches workers in every other.
import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type {
  Collection,
  CollectionSpec,
  MappingInput,
  SubscriptionMappingContext,
} from '../domain/collections.ts';
import { AppError } from '../domain/errors.ts';
import type { Database } from '../store/schema.ts';
import type { MappingCollectionsTable, MappingsTable } from '../store/tables/mapping.ts';
import { DEFAULT_COLLECTIONS } from './default-collections.ts';
import { type CollectionTree, type CompiledCollection, compileCollection } from './engine.ts';
import { type SiblingCollection, validateCollection } from './validate.ts';

type Db = Kysely<Database>;

function toMapping(row: Selectable<MappingsTable>): MappingInput {
  const description = row.description ?? undefined;
  const common = { destination: row.destination, ...(description ? { description } : {}) };
  switch (row.type) {
    case 'static':
      return {
        ...common,
        type: 'static',
        value: row.value_json === null ? null : JSON.parse(row.value_json),
      };
    case 'field':
      return { ...common, type: 'field', source: row.source ?? '' };
    case 'dynamic_formula':
      return { ...common, type: 'dynamic_formula', formula: row.formula ?? '' };
    default:
      return {
        ...common,
        type: 'lookup_translation',
        ...(row.source !== null ? { source: row.source } : {}),
        ...(row.formula !== null ? { formula: row.formula } : {}),
        table: row.lookup_table_json ? JSON.parse(row.lookup_table_json) : {},
        ...(row.default_json !== null ? { default: JSON.parse(row.default_json) } : {}),
      };
  }
}

function mappingRow(collectionId: string, position: number, m: MappingInput): MappingsTable {
  return {
    collection_id: collectionId,
    position,
    destination: m.destination,
    type: m.type,
    source: m.type === 'field' || m.type === 'lookup_translation' ? (m.source ?? null) : null,
    formula: m.type === 'dynamic_formula' || m.type === 'lookup_translation' ? (m.formula ?? null) : null,
    value_json: m.type === 'static' ? JSON.stringify(m.value) : null,
    lookup_table_json: m.type === 'lookup_translation' ? JSON.stringify(m.table) : null,
    default_json:
      m.type === 'lookup_translation' && Object.hasOwn(m, 'default')
        ? JSON.stringify(m.default ?? null)
        : null,
    description: m.description ?? null,
  };
}

function toCollection(row: Selectable<MappingCollectionsTable>, mappings: MappingInput[]): Collection {
  return {
    id: row.id,
    subscription_id: row.subscription_id,
    name: row.name,
    type: row.type as Collection['type'],
    direction: row.direction as Collection['direction'],
    sync_type: row.sync_type as Collection['sync_type'],
    parent_id: row.parent_id,
    mapping_filter: row.mapping_filter,
    error_filter: row.error_filter,
    error_message: row.error_message,
    collision_handling: row.collision_handling as Collection['collision_handling'],
    enabled: Boolean(row.enabled),
    sort_order: row.sort_order,
    description: row.description,
    created_at: row.created_at,
    updated_at: row.updated_at,
    mappings,
  };
}

async function readCollections(db: Db, rows: Selectable<MappingCollectionsTable>[]): Promise<Collection[]> {
  if (rows.length === 0) return [];
  const mappingRows = await db
    .selectFrom('mappings')
    .selectAll()
    .where(
      'collection_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('collection_id')
    .orderBy('position')
    .execute();
  const byCollection = new Map<string, MappingInput[]>();
  for (const m of mappingRows) {
    const list = byCollection.get(m.collection_id) ?? [];
    list.push(toMapping(m));
    byCollection.set(m.collection_id, list);
  }
  return rows.map((r) => toCollection(r, byCollection.get(r.id) ?? []));
}

/** A subscription's collections, lowest sort order first. */
export async function listCollections(db: Db, subscriptionId: string): Promise<Collection[]> {
  const rows = await db
    .selectFrom('mapping_collections')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .orderBy('sort_order')
    .orderBy('name')
    .execute();
  return readCollections(db, rows);
}

export async function getCollection(db: Db, id: string): Promise<Collection | undefined> {
  const row = await db.selectFrom('mapping_collections').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return (await readCollections(db, [row]))[0];
}

/** What the engine needs of the subscription; throws NOT_FOUND when it does not exist. */
export async function subscriptionMappingContext(
  db: Db,
  subscriptionId: string,
): Promise<SubscriptionMappingContext> {
  const row = await db
    .selectFrom('subscriptions')
    .select(['id', 'default_phone_country'])
    .where('id', '=', subscriptionId)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', `No subscription ${subscriptionId}.`);
  return { id: row.id, default_phone_country: row.default_phone_country };
}

// Taking the revision row first serializes writers of one subscription (a row lock on PostgreSQL, the
// single writer on SQLite), so two concurrent saves cannot both pass the one-Add-collection rule.
async function bumpRevision(trx: Transaction<Database>, subscriptionId: string): Promise<void> {
  await trx
    .insertInto('mapping_revisions')
    .values({ subscription_id: subscriptionId, revision: 1 })
    .onConflict((oc) =>
      oc.column('subscription_id').doUpdateSet({ revision: sql`mapping_revisions.revision + 1` }),
    )
    .execute();
}

async function siblingsOf(trx: Db, subscriptionId: string): Promise<SiblingCollection[]> {
  const rows = await trx
    .selectFrom('mapping_collections')
    .select(['id', 'name', 'type', 'direction', 'sync_type', 'parent_id'])
    .where('subscription_id', '=', subscriptionId)
    .execute();
  return rows as SiblingCollection[];
}

async function writeMappings(
  trx: Db,
  collectionId: string,
  mappings: readonly MappingInput[],
): Promise<void> {
  await trx.deleteFrom('mappings').where('collection_id', '=', collectionId).execute();
  if (mappings.length === 0) return;
  await trx
    .insertInto('mappings')
    .values(mappings.map((m, i) => mappingRow(collectionId, i, m)))
    .execute();
}

// The columns a create, a replace and the default set all write from a validated spec; the parent is
// passed apart because the default set names it by key, not by id.
function collectionColumns(spec: CollectionSpec, parentId: string | null) {
  return {
    name: spec.name,
    type: spec.type,
    direction: spec.direction,
    sync_type: spec.sync_type,
    parent_id: parentId,
    mapping_filter: spec.mapping_filter ?? null,
    error_filter: spec.error_filter ?? null,
    error_message: spec.error_message ?? null,
    collision_handling: spec.collision_handling,
    enabled: spec.enabled ? 1 : 0,
    sort_order: spec.sort_order,
    description: spec.description ?? null,
  };
}

/** Validates and stores a new collection of a subscription. */
export async function createCollection(db: Db, subscriptionId: string, input: unknown): Promise<Collection> {
  const subscription = await subscriptionMappingContext(db, subscriptionId);
  const id = await db.transaction().execute(async (trx) => {
    await bumpRevision(trx, subscriptionId);
    const spec = await validateCollection(input, {
      siblings: await siblingsOf(trx, subscriptionId),
      subscription,
    });
    const now = new Date().toISOString();
    const newId = randomUUID();
    await trx
      .insertInto('mapping_collections')
      .values({
        id: newId,
        subscription_id: subscriptionId,
        ...collectionColumns(spec, spec.parent_id ?? null),
        created_at: now,
        updated_at: now,
      })
      .execute();
    await writeMappings(trx, newId, spec.mappings);
    return newId;
  });
  invalidateCompiledCollections(db, subscriptionId);
  return (await getCollection(db, id)) as Collection;
}

/** Validates and replaces a collection (PUT): every field and the whole mapping list. */
export async function replaceCollection(db: Db, id: string, input: unknown): Promise<Collection> {
  const existing = await getCollection(db, id);
  if (!existing) throw new AppError('NOT_FOUND', `No collection ${id}.`);
  const subscriptionId = existing.subscription_id;
  const subscription = await subscriptionMappingContext(db, subscriptionId);
  await db.transaction().execute(async (trx) => {
    await bumpRevision(trx, subscriptionId);
    const siblings = await siblingsOf(trx, subscriptionId);
    const spec = await validateCollection(input, { siblings, selfId: id, subscription });
    const children = siblings.filter((c) => c.parent_id === id);
    if (children.length > 0 && (spec.type !== existing.type || spec.direction !== existing.direction)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Collection '${existing.name}' has child collections (${children.map((c) => `'${c.name}'`).join(', ')}); its type and direction cannot change`,
        { field: spec.type !== existing.type ? 'type' : 'direction' },
      );
    }
    await trx
      .updateTable('mapping_collections')
      .set({
        ...collectionColumns(spec, spec.parent_id ?? null),
        updated_at: new Date().toISOString(),
      })
      .where('id', '=', id)
      .execute();
    await writeMappings(trx, id, spec.mappings);
  });
  invalidateCompiledCollections(db, subscriptionId);
  return (await getCollection(db, id)) as Collection;
}

/** Deletes a collection; one with child collections is refused so no child is lost silently. */
export async function deleteCollection(db: Db, id: string): Promise<void> {
  const existing = await db
    .selectFrom('mapping_collections')
    .select(['id', 'name', 'subscription_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!existing) throw new AppError('NOT_FOUND', `No collection ${id}.`);
  await db.transaction().execute(async (trx) => {
    await bumpRevision(trx, existing.subscription_id);
    const children = await trx
      .selectFrom('mapping_collections')
      .select('name')
      .where('parent_id', '=', id)
      .execute();
    if (children.length > 0) {
      throw new AppError(
        'CONFLICT',
        `Collection '${existing.name}' has child collections (${children.map((c) => `'${c.name}'`).join(', ')}); delete them first`,
      );
    }
    await trx.deleteFrom('mappings').where('collection_id', '=', id).execute();
    await trx.deleteFrom('mapping_collections').where('id', '=', id).execute();
  });
  invalidateCompiledCollections(db, existing.subscription_id);
}

/**
 * Creates the default collections (docs/mappings.md) for a subscription ("Create Default Mappings"). A
 * subscription that already has collections keeps them and gets nothing added, so calling it twice is
 * harmless.
 */
export async function createDefaultCollections(db: Db, subscriptionId: string): Promise<Collection[]> {
  await subscriptionMappingContext(db, subscriptionId);
  await db.transaction().execute(async (trx) => {
    await bumpRevision(trx, subscriptionId);
    if ((await siblingsOf(trx, subscriptionId)).length > 0) return;
    const ids = new Map<string, string>();
    const now = new Date().toISOString();
    for (const d of DEFAULT_COLLECTIONS) {
      const id = randomUUID();
      ids.set(d.key, id);
      await trx
        .insertInto('mapping_collections')
        .values({
          id,
          subscription_id: subscriptionId,
          ...collectionColumns(d, d.parent_key ? (ids.get(d.parent_key) ?? null) : null),
          created_at: now,
          updated_at: now,
        })
        .execute();
      await writeMappings(trx, id, d.mappings);
    }
  });
  invalidateCompiledCollections(db, subscriptionId);
  return listCollections(db, subscriptionId);
}

/** Builds trees (children inside their parents) from stored collections, in sort order. */
export function collectionTrees(collections: readonly Collection[]): CollectionTree[] {
  const sorted = [...collections].sort((a, b) => a.sort_order - b.sort_order || a.name.localeCompare(b.name));
  const trees = new Map<string, CollectionTree>();
  for (const c of sorted) trees.set(c.id, { ...c, children: [] });
  const roots: CollectionTree[] = [];
  for (const c of sorted) {
    const tree = trees.get(c.id) as CollectionTree;
    const parent = c.parent_id ? trees.get(c.parent_id) : undefined;
    if (parent) parent.children?.push(tree);
    else if (!c.parent_id) roots.push(tree);
  }
  return roots;
}

interface CacheEntry {
  revision: number;
  compiled: Promise<readonly CompiledCollection[]>;
}
// Per store, then per subscription: tests and tools may open several stores in one process.
const caches = new WeakMap<Db, Map<string, CacheEntry>>();

function cacheOf(db: Db): Map<string, CacheEntry> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  return cache;
}

async function currentRevision(db: Db, subscriptionId: string): Promise<number> {
  const row = await db
    .selectFrom('mapping_revisions')
    .select('revision')
    .where('subscription_id', '=', subscriptionId)
    .executeTakeFirst();
  return row?.revision ?? 0;
}

/**
 * The subscription's enabled top-level collections, compiled with their enabled children, lowest sort
 * order first. Cached until the subscription's mapping revision changes (one indexed read per call).
 */
export async function loadCompiledCollections(
  db: Db,
  subscriptionId: string,
): Promise<readonly CompiledCollection[]> {
  const revision = await currentRevision(db, subscriptionId);
  const compiledCache = cacheOf(db);
  const cached = compiledCache.get(subscriptionId);
  if (cached && cached.revision === revision) return cached.compiled;
  const compiled = (async () => {
    const subscription = await subscriptionMappingContext(db, subscriptionId);
    const trees = collectionTrees(await listCollections(db, subscriptionId));
    return trees.filter((t) => t.enabled !== false).map((t) => compileCollection(t, { subscription }));
  })();
  compiledCache.set(subscriptionId, { revision, compiled });
  compiled.catch(() => {
    if (compiledCache.get(subscriptionId)?.compiled === compiled) compiledCache.delete(subscriptionId);
  });
  return compiled;
}

/** Forgets a subscription's compiled collections; the next load compiles afresh. */
export function invalidateCompiledCollections(db: Db, subscriptionId: string): void {
  cacheOf(db).delete(subscriptionId);
}
