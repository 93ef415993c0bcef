// What each kind of collection may write and read, per (type, direction). The Klaviyo side follows the
// request bodies of the 2026-07-15 OpenAPI description (profile create/update/import attributes, event
// create attributes, catalog item and variant attributes); the hub side follows src/domain/hub.ts.
import type { CollectionType, CustomFieldAction, Direction } from '../domain/collections.ts';
import {
  CustomerAddress,
  CustomerInput,
  ProductInput,
  ProductVariant,
  TransactionAddress,
  TransactionInput,
  TransactionLine,
} from '../domain/hub.ts';

/** `true`: a leaf; an object: the names allowed below; `'open'`: any names below (custom properties). */
export type FieldTree = true | 'open' | { readonly [name: string]: FieldTree };

const PROFILE_LOCATION: FieldTree = {
  address1: true,
  address2: true,
  city: true,
  country: true,
  region: true,
  zip: true,
  timezone: true,
  ip: true,
  latitude: true,
  longitude: true,
};

// A profile's attributes in two parts, so an event's profile can hold its own identifiers (`id`,
// `anonymous_id`) between them and still list every attribute a profile body takes.
const PROFILE_IDENTIFIERS: Record<string, FieldTree> = { email: true, phone_number: true, external_id: true };
const PROFILE_DETAILS: Record<string, FieldTree> = {
  first_name: true,
  last_name: true,
  organization: true,
  locale: true,
  title: true,
  image: true,
  location: PROFILE_LOCATION,
  properties: 'open',
};

/** Attributes of Klaviyo's profile create / update / import bodies. */
export const PROFILE_ATTRIBUTES: FieldTree = { ...PROFILE_IDENTIFIERS, ...PROFILE_DETAILS };

/** An event as the engine produces it; the flow wraps it into Klaviyo's create-event body. */
export const EVENT_FIELDS: FieldTree = {
  metric: true,
  properties: 'open',
  time: true,
  value: true,
  value_currency: true,
  unique_id: true,
  backfill: true,
  profile: { id: true, ...PROFILE_IDENTIFIERS, anonymous_id: true, ...PROFILE_DETAILS },
};

const CATALOG_COMMON = {
  external_id: true,
  integration_type: true,
  catalog_type: true,
  title: true,
  description: true,
  price: true,
  url: true,
  image_full_url: true,
  image_thumbnail_url: true,
  images: true,
  custom_metadata: 'open',
  published: true,
} as const;

export const CATALOG_ITEM_FIELDS: FieldTree = CATALOG_COMMON;
export const CATALOG_VARIANT_FIELDS: FieldTree = {
  ...CATALOG_COMMON,
  sku: true,
  inventory_policy: true,
  inventory_quantity: true,
};

// Hub fields a TO-hub mapping may not write: the hub owns ids, timestamps and links, and child lists
// are written by child collections.
const HUB_OWNED = new Set([
  'id',
  'tracking_guid',
  'external_ids',
  'extension_fields',
  'created_datetime',
  'updated_datetime',
  'custom_fields',
  'addresses',
  'lines',
  'variants',
  'payments',
  'taxes',
  'tracking',
  'notes',
]);

function hubTree(shape: Record<string, unknown>, withCustomFields: boolean): FieldTree {
  const tree: Record<string, FieldTree> = {};
  for (const name of Object.keys(shape)) if (!HUB_OWNED.has(name)) tree[name] = true;
  if (withCustomFields) tree.custom_fields = 'open';
  return tree;
}

type Key = `${CollectionType}:${Direction}`;

export const DESTINATIONS: Record<Key, FieldTree> = {
  'customer:from_hub': PROFILE_ATTRIBUTES,
  // A FROM-hub address child fills the profile's location.
  'customer_address:from_hub': { location: PROFILE_LOCATION, phone_number: true },
  'transaction:from_hub': EVENT_FIELDS,
  'transaction_line:from_hub': EVENT_FIELDS,
  'product:from_hub': CATALOG_ITEM_FIELDS,
  'product_variant:from_hub': CATALOG_VARIANT_FIELDS,
  'customer:to_hub': hubTree(CustomerInput.shape, true),
  'customer_address:to_hub': hubTree(CustomerAddress.shape, false),
  'transaction:to_hub': hubTree(TransactionInput.shape, true),
  'transaction_line:to_hub': hubTree(TransactionLine.shape, true),
  'product:to_hub': hubTree(ProductInput.shape, true),
  'product_variant:to_hub': hubTree(ProductVariant.shape, true),
};

/** Fields of a Klaviyo profile as TO-hub collections read it (`GET /api/profiles` attributes plus id). */
export const PROFILE_SOURCE_FIELDS = [
  'id',
  'email',
  'phone_number',
  'external_id',
  'anonymous_id',
  'first_name',
  'last_name',
  'organization',
  'locale',
  'title',
  'image',
  'created',
  'updated',
  'last_event_date',
  'location',
  'properties',
  'subscriptions',
  'predictive_analytics',
];

const keys = (shape: Record<string, unknown>) => [...Object.keys(shape), 'version'];

/** Top-level fields of the source records of each (type, direction); undefined when any is accepted. */
export const SOURCE_FIELDS: Partial<Record<Key, readonly string[]>> = {
  'customer:from_hub': keys(CustomerInput.shape),
  'customer_address:from_hub': Object.keys(CustomerAddress.shape),
  'transaction:from_hub': keys(TransactionInput.shape),
  'transaction_line:from_hub': Object.keys(TransactionLine.shape),
  'product:from_hub': keys(ProductInput.shape),
  'product_variant:from_hub': Object.keys(ProductVariant.shape),
  'customer:to_hub': PROFILE_SOURCE_FIELDS,
  'customer_address:to_hub': PROFILE_SOURCE_FIELDS,
};
// Transaction addresses share the customer address fields; kept for the editor's field list.
export const TRANSACTION_ADDRESS_FIELDS = Object.keys(TransactionAddress.shape);

export function destinationTree(type: CollectionType, direction: Direction): FieldTree {
  return DESTINATIONS[`${type}:${direction}`];
}

export function sourceFields(type: CollectionType, direction: Direction): readonly string[] | undefined {
  return SOURCE_FIELDS[`${type}:${direction}`];
}

/** Whether a destination path (already split into names) exists in a field tree. */
export function isKnownDestination(tree: FieldTree, names: readonly string[]): boolean {
  let node: FieldTree = tree;
  for (const name of names) {
    if (node === 'open') return true;
    if (node === true) return false;
    if (!Object.hasOwn(node, name)) return false;
    node = node[name];
  }
  return true;
}

/** The items a child collection runs on, taken from its parent's source record. */
export function childItems(parentType: CollectionType, direction: Direction, record: unknown): unknown[] {
  if (record === null || typeof record !== 'object') return [];
  if (direction === 'to_hub') {
    // Klaviyo keeps one address inside the profile, so the profile itself is the address item.
    return parentType === 'customer' ? [record] : [];
  }
  const listName =
    parentType === 'customer' ? 'addresses' : parentType === 'transaction' ? 'lines' : 'variants';
  const list = (record as Record<string, unknown>)[listName];
  return Array.isArray(list) ? list : [];
}

export type CustomFieldTarget =
  | { kind: 'subscribe_profile' }
  | { kind: 'consent_date' }
  | { kind: 'list_subscription'; list: string }
  | { kind: 'list_membership'; list: string }
  | { kind: 'custom_property'; name: string };

const CUSTOM_PREFIX = 'custom_fields.';
/** The custom field that dates the consent SubscribeProfile / LIST_ give (docs/flows.md, "History"). */
export const CONSENTED_AT = 'ConsentedAt';

/**
 * Whether a FROM-hub Customer destination is a subscription custom field (docs/mappings.md, "Custom
 * fields"): `SubscribeProfile`, `ConsentedAt`, `LIST_<list name>`, `UCLIST_<list name>`,
 * `custom_fields.<name>`, or a name the subscription declares.
 * The whole text after a prefix is the list name, dots and spaces included.
 */
export function customFieldTarget(
  destination: string,
  declared: readonly string[] = [],
): CustomFieldTarget | undefined {
  const explicit = destination.startsWith(CUSTOM_PREFIX);
  const name = explicit ? destination.slice(CUSTOM_PREFIX.length).trim() : destination.trim();
  if (name === 'SubscribeProfile') return { kind: 'subscribe_profile' };
  if (name === CONSENTED_AT) return { kind: 'consent_date' };
  if (name.startsWith('UCLIST_') && name.length > 7) return { kind: 'list_membership', list: name.slice(7) };
  if (name.startsWith('LIST_') && name.length > 5) return { kind: 'list_subscription', list: name.slice(5) };
  if (explicit && name !== '') return { kind: 'custom_property', name };
  if (declared.includes(name)) return { kind: 'custom_property', name };
  return undefined;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'y', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n', 'off']);

/** Reads a custom-field value as a yes/no; undefined for empty (no change); throws for anything else. */
export function customFieldFlag(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (value === 1) return true;
    if (value === 0) return false;
  }
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (word === '') return undefined;
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw new Error(`must be true or false (or empty for no change), got ${JSON.stringify(value)}`);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Reads a consent date: an ISO 8601 date or date-time (a date alone is midnight UTC, a time without an
 * offset is UTC); undefined for empty (no date); throws for anything else or a time in the future, which
 * Klaviyo refuses for `consented_at`.
 */
export function consentDate(value: unknown, now = Date.now()): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value.trim() === '') return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  if (!ISO_DATE.test(text)) {
    throw new Error(
      `must be an ISO 8601 date or date-time such as 2024-03-05T08:09:10Z (or empty for no date), got ${JSON.stringify(value)}`,
    );
  }
  const withZone = /[T ]\d{2}:\d{2}/.test(text) && !/(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) ? `${text}Z` : text;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  if (Number.isNaN(ms)) throw new Error(`must be a real date, got ${JSON.stringify(value)}`);
  if (ms > now) throw new Error(`must not be in the future, got ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

/** Builds the flow action for a custom-field value; undefined when the value means "no change". */
export function customFieldAction(
  destination: string,
  target: CustomFieldTarget,
  value: unknown,
): CustomFieldAction | undefined {
  if (target.kind === 'custom_property') {
    return value === undefined
      ? undefined
      : { kind: 'custom_property', field: destination, name: target.name, value };
  }
  if (target.kind === 'consent_date') {
    const at = consentDate(value);
    return at === undefined ? undefined : { kind: 'consent_date', field: destination, at };
  }
  const flag = customFieldFlag(value);
  if (flag === undefined) return undefined;
  if (target.kind === 'subscribe_profile')
    return { kind: 'subscribe_profile', field: destination, subscribe: flag };
  if (target.kind === 'list_subscription') {
    return { kind: 'list_subscription', field: destination, list: target.list, subscribe: flag };
  }
  return { kind: 'list_membership', field: destination, list: target.list, member: flag };
}
