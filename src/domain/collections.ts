// Mapping collections and their mappings (docs/mappings.md), as the API accepts and returns them. A collection says
// how one kind of record becomes another in one direction; the engine in src/mapping/ compiles it.
import { z } from 'zod';

export const COLLECTION_TYPES = [
  'customer',
  'customer_address',
  'transaction',
  'transaction_line',
  'product',
  'product_variant',
] as const;
export type CollectionType = (typeof COLLECTION_TYPES)[number];

export const DIRECTIONS = ['to_hub', 'from_hub'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const SYNC_TYPES = ['add', 'update', 'add_and_update'] as const;
export type SyncType = (typeof SYNC_TYPES)[number];

export const COLLISION_HANDLING = ['error', 'update_and_link', 'remove_and_link', 'update_no_link'] as const;
export type CollisionHandling = (typeof COLLISION_HANDLING)[number];

export const MAPPING_TYPES = ['static', 'field', 'dynamic_formula', 'lookup_translation'] as const;
export type MappingType = (typeof MAPPING_TYPES)[number];

/** Child collection type of each parent type: children run once per child item of the parent record. */
export const CHILD_TYPE_OF: Partial<Record<CollectionType, CollectionType>> = {
  customer: 'customer_address',
  transaction: 'transaction_line',
  product: 'product_variant',
};
export const CHILD_TYPES: readonly CollectionType[] = Object.values(CHILD_TYPE_OF);

const jsonScalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const destination = z.string().trim().min(1).max(300);
const formula = z.string().trim().min(1).max(20_000);
const description = z.string().max(2000).nullish();

export const StaticMapping = z.strictObject({
  destination,
  type: z.literal('static'),
  value: jsonScalar,
  description,
});
export const FieldMapping = z.strictObject({
  destination,
  type: z.literal('field'),
  source: z.string().trim().min(1).max(500),
  description,
});
export const FormulaMapping = z.strictObject({
  destination,
  type: z.literal('dynamic_formula'),
  formula,
  description,
});
/** The key is read from `source` (a path) or computed by `formula`; exactly one of the two is given. */
export const LookupMapping = z.strictObject({
  destination,
  type: z.literal('lookup_translation'),
  source: z.string().trim().min(1).max(500).optional(),
  formula: formula.optional(),
  table: z.record(z.string(), z.unknown()),
  default: z.unknown().optional(),
  description,
});

export const MappingInput = z.discriminatedUnion('type', [
  StaticMapping,
  FieldMapping,
  FormulaMapping,
  LookupMapping,
]);
export type MappingInput = z.infer<typeof MappingInput>;

const filter = formula.nullish();

/** What a client sends to create or replace a collection. */
export const CollectionInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  type: z.enum(COLLECTION_TYPES),
  direction: z.enum(DIRECTIONS),
  sync_type: z.enum(SYNC_TYPES),
  parent_id: z.string().min(1).max(100).nullish(),
  mapping_filter: filter,
  error_filter: filter,
  /** The message a record fails with when the error filter returns true. */
  error_message: z.string().trim().max(1000).nullish(),
  collision_handling: z.enum(COLLISION_HANDLING).default('error'),
  enabled: z.boolean().default(true),
  sort_order: z.number().int().min(-1_000_000).max(1_000_000).default(0),
  description,
  mappings: z.array(MappingInput).max(500).default([]),
});
export type CollectionInput = z.input<typeof CollectionInput>;
export type CollectionSpec = z.output<typeof CollectionInput>;

/** A stored collection, as the API returns it. */
export interface Collection extends Omit<CollectionSpec, 'parent_id' | 'mapping_filter' | 'error_filter'> {
  id: string;
  subscription_id: string;
  parent_id: string | null;
  mapping_filter: string | null;
  error_filter: string | null;
  error_message: string | null;
  description: string | null;
  created_at: string;
  updated_at: string;
}

/** What the engine needs to know about the subscription a collection belongs to. */
export interface SubscriptionMappingContext {
  id: string;
  /** ISO 3166 alpha-2 country for local phone numbers (`default_phone_country`, docs/configuration.md). */
  default_phone_country?: string | null;
  /** Names of the subscription's plain custom fields (Klaviyo side), usable as bare destinations. */
  custom_fields?: readonly string[];
  [key: string]: unknown;
}

/**
 * What a FROM-hub Customer → Profile mapping asks the flow to do besides writing the profile (docs/mappings.md).
 * An empty custom-field value produces no action: "empty → no change".
 */
export type CustomFieldAction =
  | { kind: 'subscribe_profile'; field: string; subscribe: boolean }
  /** When the email consent of SubscribeProfile / LIST_ was given (ISO 8601, in the past). */
  | { kind: 'consent_date'; field: string; at: string }
  | { kind: 'list_subscription'; field: string; list: string; subscribe: boolean }
  | { kind: 'list_membership'; field: string; list: string; member: boolean }
  | { kind: 'custom_property'; field: string; name: string; value: unknown };

/** Inline: the record (for a child collection, the child item, with its parent optionally); or an id. */
export const PreviewInput = z.union([
  z.strictObject({
    record: z.record(z.string(), z.unknown()),
    parent: z.record(z.string(), z.unknown()).optional(),
  }),
  z.strictObject({ record_id: z.string().min(1).max(200) }),
]);
export type PreviewInput = z.infer<typeof PreviewInput>;
