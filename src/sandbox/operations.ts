// The Klaviyo operations the sandbox serves, with the rate limits (burst per second, steady per minute,
// daily when Klaviyo sets one) and OAuth scopes that Klaviyo's OpenAPI description (revision 2026-07-15)
// attaches to each through `x-klaviyo-ratelimit` and `x-klaviyo-scopes`. Kept here as data so the sandbox
// runs on machines without the spec file.

export interface OperationSpec {
  operationId: string;
  method: string;
  path: string;
  burst: number;
  steady: number;
  daily: number;
  scopes: string[];
}

type Row = [string, string, string, number, number, number, string];

const rows: Row[] = [
  ['add_profiles_to_list', 'POST', '/api/lists/{id}/relationships/profiles', 10, 150, 0, 'lists:write profiles:write'],
  ['bulk_create_catalog_items', 'POST', '/api/catalog-item-bulk-create-jobs', 75, 750, 0, 'catalogs:write'],
  ['bulk_create_catalog_variants', 'POST', '/api/catalog-variant-bulk-create-jobs', 75, 750, 0, 'catalogs:write'],
  ['bulk_create_events', 'POST', '/api/event-bulk-create-jobs', 10, 150, 0, 'events:write'],
  ['bulk_delete_catalog_items', 'POST', '/api/catalog-item-bulk-delete-jobs', 75, 750, 0, 'catalogs:write'],
  ['bulk_delete_catalog_variants', 'POST', '/api/catalog-variant-bulk-delete-jobs', 75, 750, 0, 'catalogs:write'],
  ['bulk_import_profiles', 'POST', '/api/profile-bulk-import-jobs', 10, 150, 0, 'lists:write profiles:write'],
  ['bulk_subscribe_profiles', 'POST', '/api/profile-subscription-bulk-create-jobs', 75, 750, 0, 'lists:write profiles:write subscriptions:write'],
  ['bulk_unsubscribe_profiles', 'POST', '/api/profile-subscription-bulk-delete-jobs', 75, 750, 0, 'lists:write profiles:write subscriptions:write'],
  ['bulk_update_catalog_items', 'POST', '/api/catalog-item-bulk-update-jobs', 75, 750, 0, 'catalogs:write'],
  ['bulk_update_catalog_variants', 'POST', '/api/catalog-variant-bulk-update-jobs', 75, 750, 0, 'catalogs:write'],
  ['create_catalog_item', 'POST', '/api/catalog-items', 75, 750, 0, 'catalogs:write'],
  ['create_catalog_variant', 'POST', '/api/catalog-variants', 75, 750, 0, 'catalogs:write'],
  ['create_event', 'POST', '/api/events', 350, 3500, 0, 'events:write'],
  ['create_list', 'POST', '/api/lists', 10, 150, 150, 'lists:write'],
  ['create_or_update_profile', 'POST', '/api/profile-import', 75, 750, 0, 'profiles:write'],
  ['create_profile', 'POST', '/api/profiles', 75, 750, 0, 'profiles:write'],
  ['delete_catalog_item', 'DELETE', '/api/catalog-items/{id}', 75, 750, 0, 'catalogs:write'],
  ['delete_catalog_variant', 'DELETE', '/api/catalog-variants/{id}', 75, 750, 0, 'catalogs:write'],
  ['delete_list', 'DELETE', '/api/lists/{id}', 10, 150, 0, 'lists:write'],
  ['get_account', 'GET', '/api/accounts/{id}', 1, 15, 0, 'accounts:read'],
  ['get_accounts', 'GET', '/api/accounts', 1, 15, 0, 'accounts:read'],
  ['get_bulk_create_catalog_items_job', 'GET', '/api/catalog-item-bulk-create-jobs/{job_id}', 75, 750, 0, 'catalogs:read'],
  ['get_bulk_create_variants_job', 'GET', '/api/catalog-variant-bulk-create-jobs/{job_id}', 75, 750, 0, 'catalogs:read'],
  ['get_bulk_delete_catalog_items_job', 'GET', '/api/catalog-item-bulk-delete-jobs/{job_id}', 350, 3500, 0, 'catalogs:read'],
  ['get_bulk_delete_variants_job', 'GET', '/api/catalog-variant-bulk-delete-jobs/{job_id}', 350, 3500, 0, 'catalogs:read'],
  ['get_bulk_import_profiles_job', 'GET', '/api/profile-bulk-import-jobs/{job_id}', 10, 150, 0, 'lists:read profiles:read'],
  ['get_bulk_import_profiles_jobs', 'GET', '/api/profile-bulk-import-jobs', 10, 150, 0, 'lists:read profiles:read'],
  ['get_bulk_update_catalog_items_job', 'GET', '/api/catalog-item-bulk-update-jobs/{job_id}', 75, 750, 0, 'catalogs:read'],
  ['get_bulk_update_variants_job', 'GET', '/api/catalog-variant-bulk-update-jobs/{job_id}', 75, 750, 0, 'catalogs:read'],
  ['get_catalog_item', 'GET', '/api/catalog-items/{id}', 350, 3500, 0, 'catalogs:read'],
  ['get_catalog_items', 'GET', '/api/catalog-items', 350, 3500, 0, 'catalogs:read'],
  ['get_catalog_variant', 'GET', '/api/catalog-variants/{id}', 350, 3500, 0, 'catalogs:read'],
  ['get_catalog_variants', 'GET', '/api/catalog-variants', 350, 3500, 0, 'catalogs:read'],
  ['get_errors_for_bulk_import_profiles_job', 'GET', '/api/profile-bulk-import-jobs/{id}/import-errors', 10, 150, 0, 'profiles:read'],
  ['get_event', 'GET', '/api/events/{id}', 10, 150, 0, 'events:read'],
  ['get_events', 'GET', '/api/events', 350, 3500, 0, 'events:read'],
  ['get_list', 'GET', '/api/lists/{id}', 75, 750, 0, 'lists:read'],
  ['get_list_for_bulk_import_profiles_job', 'GET', '/api/profile-bulk-import-jobs/{id}/lists', 10, 150, 0, 'lists:read'],
  ['get_list_ids_for_bulk_import_profiles_job', 'GET', '/api/profile-bulk-import-jobs/{id}/relationships/lists', 10, 150, 0, 'lists:read'],
  ['get_list_ids_for_profile', 'GET', '/api/profiles/{id}/relationships/lists', 3, 60, 0, 'lists:read profiles:read'],
  ['get_lists', 'GET', '/api/lists', 75, 750, 0, 'lists:read'],
  ['get_lists_for_profile', 'GET', '/api/profiles/{id}/lists', 3, 60, 0, 'lists:read profiles:read'],
  ['get_metric', 'GET', '/api/metrics/{id}', 10, 150, 0, 'metrics:read'],
  ['get_metric_for_event', 'GET', '/api/events/{id}/metric', 350, 3500, 0, 'events:read metrics:read'],
  ['get_metric_id_for_event', 'GET', '/api/events/{id}/relationships/metric', 350, 3500, 0, 'events:read metrics:read'],
  ['get_metrics', 'GET', '/api/metrics', 10, 150, 0, 'metrics:read'],
  ['get_profile', 'GET', '/api/profiles/{id}', 75, 750, 0, 'profiles:read'],
  ['get_profile_for_event', 'GET', '/api/events/{id}/profile', 350, 3500, 0, 'events:read profiles:read'],
  ['get_profile_id_for_event', 'GET', '/api/events/{id}/relationships/profile', 350, 3500, 0, 'events:read profiles:read'],
  ['get_profile_ids_for_bulk_import_profiles_job', 'GET', '/api/profile-bulk-import-jobs/{id}/relationships/profiles', 10, 150, 0, 'profiles:read'],
  ['get_profile_ids_for_list', 'GET', '/api/lists/{id}/relationships/profiles', 75, 750, 0, 'lists:read profiles:read'],
  ['get_profiles', 'GET', '/api/profiles', 75, 750, 0, 'profiles:read'],
  ['get_profiles_for_bulk_import_profiles_job', 'GET', '/api/profile-bulk-import-jobs/{id}/profiles', 10, 150, 0, 'profiles:read'],
  ['get_profiles_for_list', 'GET', '/api/lists/{id}/profiles', 75, 750, 0, 'lists:read profiles:read'],
  ['get_variants_for_catalog_item', 'GET', '/api/catalog-items/{id}/variants', 350, 3500, 0, 'catalogs:read'],
  ['remove_profiles_from_list', 'DELETE', '/api/lists/{id}/relationships/profiles', 10, 150, 0, 'lists:write profiles:write'],
  ['request_profile_deletion', 'POST', '/api/data-privacy-deletion-jobs', 3, 60, 0, 'data-privacy:write'],
  ['update_catalog_item', 'PATCH', '/api/catalog-items/{id}', 75, 750, 0, 'catalogs:write'],
  ['update_catalog_variant', 'PATCH', '/api/catalog-variants/{id}', 75, 750, 0, 'catalogs:write'],
  ['update_list', 'PATCH', '/api/lists/{id}', 10, 150, 0, 'lists:write'],
  ['update_profile', 'PATCH', '/api/profiles/{id}', 75, 750, 0, 'profiles:write'],
];

export const OPERATIONS: OperationSpec[] = rows.map(([operationId, method, path, burst, steady, daily, scopes]) => ({
  operationId,
  method,
  path,
  burst,
  steady,
  daily,
  scopes: scopes.split(' '),
}));

/** Every scope Klaviyo defines (the union of `x-klaviyo-scopes` in the spec); an OAuth request may ask for these. */
export const KNOWN_SCOPES = new Set(
  [
    'accounts',
    'campaigns',
    'catalogs',
    'conversations',
    'coupon-codes',
    'coupons',
    'custom-objects',
    'events',
    'flows',
    'forms',
    'images',
    'lists',
    'metrics',
    'profiles',
    'push-tokens',
    'reviews',
    'segments',
    'subscriptions',
    'tags',
    'templates',
    'tracking-settings',
    'web-feeds',
    'webhooks',
  ].flatMap((area) => [`${area}:read`, `${area}:write`]),
);
KNOWN_SCOPES.add('data-privacy:write');
KNOWN_SCOPES.delete('accounts:write');
