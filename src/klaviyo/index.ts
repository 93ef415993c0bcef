export {
  type BucketUsage,
  type BudgetWindow,
  MemoryRateBudgetStore,
  processBudgetStore,
  type RateBudgetStore,
  type ServerRateReport,
  SlidingWindowLog,
  windowsFor,
} from './budgets.ts';
export { PostgresRateBudgetStore, type PostgresRateBudgetStoreOptions } from './budgets-postgres.ts';
export { createKlaviyoClient, type KlaviyoClient } from './client.ts';
export {
  ENDPOINTS,
  type EndpointSpec,
  endpoint,
  OAUTH_SCOPES,
  type RateTier,
  scopesFor,
  tierKey,
} from './endpoints.ts';
export {
  type KlaviyoApiError,
  KlaviyoError,
  type KlaviyoErrorKind,
  parseKlaviyoErrors,
} from './errors.ts';
export type { KlaviyoResource, Page } from './pagination.ts';
export type { BulkImportJobAttributes } from './resources/bulk-import.ts';
export type {
  CatalogItemAttributes,
  CatalogJobAttributes,
  CatalogVariantAttributes,
} from './resources/catalog.ts';
export { catalogId } from './resources/catalog.ts';
export type { EventGroup, EventInput, EventProfile } from './resources/events.ts';
export type { ListAttributes } from './resources/lists.ts';
export type { DeletionTarget, MetricAttributes } from './resources/misc.ts';
export type {
  ProfileAttributes,
  ProfileImportInput,
  ProfileListOptions,
  ProfileMeta,
} from './resources/profiles.ts';
export type { SubscribeOptions, SubscriptionProfile } from './resources/subscriptions.ts';
export {
  REVISION_WARNING_DAYS,
  type RevisionLifecycle,
  revisionLifecycle,
  revisionWarning,
} from './revisions.ts';
export { DEFAULT_RETRY_POLICY, MAX_RETRY_AFTER_MS, parseRetryAfter, type RetryPolicy } from './retry.ts';
export {
  DEFAULT_REVISION,
  type ExchangeSummary,
  type KlaviyoAuth,
  type KlaviyoClientOptions,
  type KlaviyoClientStats,
  KlaviyoTransport,
  type TokenProvider,
} from './transport.ts';
