// Klaviyo's endpoint facts as data (revision 2026-07-15). Limits come from the spec's x-klaviyo-ratelimit
// (operations-ratelimits-scopes.tsv); batch and payload limits from the operation descriptions. Keeping them
// in one table means a new revision is a data change, not a hunt through resource files.

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RateTier {
  /** Requests per 1 s window. */
  burst: number;
  /** Requests per 60 s window. */
  steady: number;
  /** Requests per day, for the few operations that have a daily cap. */
  daily?: number;
}

export interface EndpointSpec {
  operationId: string;
  method: HttpMethod;
  /** Path template; `{id}` / `{job_id}` are filled from the call's path parameters. */
  path: string;
  /**
   * The OAuth scopes (and private-key scopes) Klaviyo requires for the operation (x-klaviyo-scopes). The
   * scopes the service asks for at Authenticate are derived from these (OAUTH_SCOPES).
   */
  scopes: readonly string[];
  tier: RateTier;
  /** Most resources one request may carry (bulk jobs, list membership). */
  maxBatch?: number;
  /** Largest request body Klaviyo accepts, in bytes. */
  maxPayloadBytes?: number;
  /** Largest single resource inside a bulk body, in bytes. */
  maxItemBytes?: number;
  /** Largest `page[size]`; absent when the endpoint takes no page size. */
  maxPageSize?: number;
}

const KB = 1024;
const MB = 1024 * 1024;

const XS: RateTier = { burst: 1, steady: 15 };
const S: RateTier = { burst: 3, steady: 60 };
const M: RateTier = { burst: 10, steady: 150 };
const L: RateTier = { burst: 75, steady: 750 };
const XL: RateTier = { burst: 350, steady: 3500 };

const table = [
  { operationId: 'get_accounts', method: 'GET', path: '/api/accounts', scopes: ['accounts:read'], tier: XS },
  {
    operationId: 'get_profile',
    method: 'GET',
    path: '/api/profiles/{id}',
    scopes: ['profiles:read'],
    tier: L,
  },
  {
    operationId: 'get_profiles',
    method: 'GET',
    path: '/api/profiles',
    scopes: ['profiles:read'],
    tier: L,
    maxPageSize: 100,
  },
  {
    operationId: 'create_profile',
    method: 'POST',
    path: '/api/profiles',
    scopes: ['profiles:write'],
    tier: L,
    maxPayloadBytes: 100 * KB,
  },
  {
    operationId: 'update_profile',
    method: 'PATCH',
    path: '/api/profiles/{id}',
    scopes: ['profiles:write'],
    tier: L,
    maxPayloadBytes: 100 * KB,
  },
  {
    operationId: 'create_or_update_profile',
    method: 'POST',
    path: '/api/profile-import',
    scopes: ['profiles:write'],
    tier: L,
    maxPayloadBytes: 100 * KB,
  },
  {
    operationId: 'bulk_import_profiles',
    method: 'POST',
    path: '/api/profile-bulk-import-jobs',
    scopes: ['lists:write', 'profiles:write'],
    tier: M,
    maxBatch: 10_000,
    maxPayloadBytes: 5 * MB,
    maxItemBytes: 100 * KB,
  },
  {
    operationId: 'get_bulk_import_profiles_job',
    method: 'GET',
    path: '/api/profile-bulk-import-jobs/{job_id}',
    scopes: ['lists:read', 'profiles:read'],
    tier: M,
  },
  {
    operationId: 'get_errors_for_bulk_import_profiles_job',
    method: 'GET',
    path: '/api/profile-bulk-import-jobs/{id}/import-errors',
    scopes: ['profiles:read'],
    tier: M,
    maxPageSize: 100,
  },
  {
    operationId: 'get_profiles_for_bulk_import_profiles_job',
    method: 'GET',
    path: '/api/profile-bulk-import-jobs/{id}/profiles',
    scopes: ['profiles:read'],
    tier: M,
    maxPageSize: 100,
  },
  {
    operationId: 'bulk_subscribe_profiles',
    method: 'POST',
    path: '/api/profile-subscription-bulk-create-jobs',
    scopes: ['lists:write', 'profiles:write', 'subscriptions:write'],
    tier: L,
    maxBatch: 1000,
    maxPayloadBytes: 5 * MB,
  },
  {
    operationId: 'bulk_unsubscribe_profiles',
    method: 'POST',
    path: '/api/profile-subscription-bulk-delete-jobs',
    scopes: ['lists:write', 'profiles:write', 'subscriptions:write'],
    tier: L,
    maxBatch: 100,
    maxPayloadBytes: 5 * MB,
  },
  {
    operationId: 'get_lists',
    method: 'GET',
    path: '/api/lists',
    scopes: ['lists:read'],
    tier: L,
    maxPageSize: 10,
  },
  {
    operationId: 'create_list',
    method: 'POST',
    path: '/api/lists',
    scopes: ['lists:write'],
    tier: { ...M, daily: 150 },
  },
  {
    operationId: 'add_profiles_to_list',
    method: 'POST',
    path: '/api/lists/{id}/relationships/profiles',
    scopes: ['lists:write', 'profiles:write'],
    tier: M,
    maxBatch: 1000,
  },
  {
    operationId: 'remove_profiles_from_list',
    method: 'DELETE',
    path: '/api/lists/{id}/relationships/profiles',
    scopes: ['lists:write', 'profiles:write'],
    tier: M,
    maxBatch: 1000,
  },
  {
    operationId: 'get_lists_for_profile',
    method: 'GET',
    path: '/api/profiles/{id}/lists',
    scopes: ['lists:read', 'profiles:read'],
    tier: S,
  },
  {
    operationId: 'create_event',
    method: 'POST',
    path: '/api/events',
    scopes: ['events:write'],
    tier: XL,
    maxPayloadBytes: 5 * MB,
  },
  {
    operationId: 'bulk_create_events',
    method: 'POST',
    path: '/api/event-bulk-create-jobs',
    scopes: ['events:write'],
    tier: M,
    maxBatch: 1000,
    maxPayloadBytes: 5 * MB,
  },
  { operationId: 'get_metrics', method: 'GET', path: '/api/metrics', scopes: ['metrics:read'], tier: M },
  {
    operationId: 'create_catalog_item',
    method: 'POST',
    path: '/api/catalog-items',
    scopes: ['catalogs:write'],
    tier: L,
  },
  {
    operationId: 'update_catalog_item',
    method: 'PATCH',
    path: '/api/catalog-items/{id}',
    scopes: ['catalogs:write'],
    tier: L,
  },
  {
    operationId: 'delete_catalog_item',
    method: 'DELETE',
    path: '/api/catalog-items/{id}',
    scopes: ['catalogs:write'],
    tier: L,
  },
  {
    operationId: 'create_catalog_variant',
    method: 'POST',
    path: '/api/catalog-variants',
    scopes: ['catalogs:write'],
    tier: L,
  },
  {
    operationId: 'update_catalog_variant',
    method: 'PATCH',
    path: '/api/catalog-variants/{id}',
    scopes: ['catalogs:write'],
    tier: L,
  },
  {
    operationId: 'delete_catalog_variant',
    method: 'DELETE',
    path: '/api/catalog-variants/{id}',
    scopes: ['catalogs:write'],
    tier: L,
  },
  ...catalogBulk('item', 'catalog_items', { create: L, update: L, delete: XL }),
  ...catalogBulk('variant', 'catalog_variants', { create: L, update: L, delete: XL }),
  {
    operationId: 'request_profile_deletion',
    method: 'POST',
    path: '/api/data-privacy-deletion-jobs',
    scopes: ['data-privacy:write'],
    tier: S,
  },
] as const satisfies readonly EndpointSpec[];

/** The three bulk jobs of a catalog resource, and the job-status reads (whose tiers differ per action). */
function catalogBulk(
  singular: 'item' | 'variant',
  bulkName: 'catalog_items' | 'catalog_variants',
  statusTiers: Record<'create' | 'update' | 'delete', RateTier>,
): EndpointSpec[] {
  const statusName = singular === 'item' ? 'catalog_items' : 'variants';
  return (['create', 'update', 'delete'] as const).flatMap((action) => [
    {
      operationId: `bulk_${action}_${bulkName}`,
      method: 'POST' as const,
      path: `/api/catalog-${singular}-bulk-${action}-jobs`,
      scopes: ['catalogs:write'],
      tier: L,
      maxBatch: 100,
      maxPayloadBytes: 5 * MB,
    },
    {
      operationId: `get_bulk_${action}_${statusName}_job`,
      method: 'GET' as const,
      path: `/api/catalog-${singular}-bulk-${action}-jobs/{job_id}`,
      scopes: ['catalogs:read'],
      tier: statusTiers[action],
    },
  ]);
}

export type OperationId = string;

export const ENDPOINTS: ReadonlyMap<OperationId, EndpointSpec> = new Map(
  (table as readonly EndpointSpec[]).map((spec) => [spec.operationId, spec]),
);

export function endpoint(operationId: OperationId): EndpointSpec {
  const spec = ENDPOINTS.get(operationId);
  if (!spec) throw new Error(`Unknown Klaviyo operation ${operationId}`);
  return spec;
}

/** The scopes an operation needs (empty for an unknown operation). */
export function scopesFor(operationId: OperationId): readonly string[] {
  return ENDPOINTS.get(operationId)?.scopes ?? [];
}

/**
 * Every scope the operations above need, sorted: what Authenticate asks Klaviyo for, so an OAuth install can
 * make every call the service makes (privacy deletion's `data-privacy:write` included). A new operation in
 * the table brings its scopes with it.
 */
export const OAUTH_SCOPES: readonly string[] = [
  ...new Set([...ENDPOINTS.values()].flatMap((spec) => spec.scopes)),
].sort();

/** The budget bucket an operation spends from: Klaviyo counts limits per tier, not per path. */
export function tierKey(tier: RateTier): string {
  return `${tier.burst}/s:${tier.steady}/m${tier.daily ? `:${tier.daily}/d` : ''}`;
}
