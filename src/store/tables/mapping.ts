// Tables of mapping collections and their mappings (docs/mappings.md). A mapping's JSON-valued parts (static
// value, lookup table, default) are stored as JSON text so both stores keep them alike.

export interface MappingCollectionsTable {
  id: string;
  subscription_id: string;
  name: string;
  type: string;
  direction: string;
  sync_type: string;
  parent_id: string | null;
  mapping_filter: string | null;
  error_filter: string | null;
  error_message: string | null;
  collision_handling: string;
  /** 1 or 0. */
  enabled: number;
  sort_order: number;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface MappingsTable {
  collection_id: string;
  /** Order of the mapping in its collection (0-based); mappings run in this order. */
  position: number;
  destination: string;
  type: string;
  source: string | null;
  formula: string | null;
  value_json: string | null;
  lookup_table_json: string | null;
  /** JSON of the lookup default; null when the mapping has no default (distinct from a null default). */
  default_json: string | null;
  description: string | null;
}

/** Bumped on every change to a subscription's collections, so every process can tell its cache is stale. */
export interface MappingRevisionsTable {
  subscription_id: string;
  revision: number;
}

export interface MappingTables {
  mapping_collections: MappingCollectionsTable;
  mappings: MappingsTable;
  mapping_revisions: MappingRevisionsTable;
}
