// The hub's canonical records (SPEC S1): Customer (with Addresses), Transaction (with Lines, Addresses,
// Payments), Product (with Variants), in iPaaS.com's snake_case shapes (reference/ipaas-klaviyo.md §4.3).
// One zod schema per shape gives the type, the validation of every API input, and the field list the
// mapping editor offers. Unknown fields are dropped rather than refused: data exported from other systems
// often carries extra columns, and refusing a whole import for them helps nobody.
import { z } from 'zod';
import { freeFormProblem } from './input-limits.ts';

export const HUB_KINDS = ['customer', 'transaction', 'product'] as const;
export type HubKind = (typeof HUB_KINDS)[number];

/** Outbound data flow scopes (SPEC S1, S8.1 `…/:id/flows`). */
export const HUB_SCOPES = [
  'customer/created',
  'customer/updated',
  'transaction/created',
  'transaction/updated',
  'product/created',
  'product/updated',
] as const;
export type HubScope = (typeof HUB_SCOPES)[number];

/** Scopes that are on for a new subscription (SPEC S8.1: customer and transaction scopes). */
export const DEFAULT_FLOW_SETTINGS: Record<HubScope, boolean> = {
  'customer/created': true,
  'customer/updated': true,
  'transaction/created': true,
  'transaction/updated': true,
  'product/created': false,
  'product/updated': false,
};

export function scopeOf(kind: HubKind, change: 'created' | 'updated'): HubScope {
  return `${kind}/${change}` as HubScope;
}

// Ids appear in URL paths and in Klaviyo idempotency keys, so they are kept to a safe alphabet.
export const HubId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'may contain only letters, digits and . _ : @ -');

const text = (max = 1000) => z.string().max(max).nullish();
const flag = z.boolean().nullish();
const amount = z.number().finite().nullish();
// Date-times are kept as the ISO 8601 strings they came in (with an offset or Z).
const datetime = z.iso.datetime({ offset: true }).nullish();
/** Any JSON, within the free-form limits (depth and size) of docs/hub.md. */
const freeForm = z.unknown().superRefine((value, ctx) => {
  const why = freeFormProblem(value);
  if (why) ctx.addIssue({ code: 'custom', message: why });
});
const freeRecord = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const why = freeFormProblem(value);
  if (why) ctx.addIssue({ code: 'custom', message: why });
});
const dict = freeRecord.nullish();

const email = z
  .string()
  .trim()
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address such as name@example.com')
  .nullish()
  .or(z.literal('').transform(() => null));

export const CustomField = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  custom_field_name: z.string().min(1).max(200),
  value: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
});
export type CustomField = z.infer<typeof CustomField>;

export const ExternalId = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  system_id: z.union([z.string(), z.number()]).nullish(),
  system_name: text(200),
  external_id: text(200),
  internal_id: text(200),
  message: text(),
});

export const ExtensionField = z.object({ key: z.string().max(200), value: freeForm });

/** Fields every record shares (iPaaS.com's Base model) plus the hub's own bookkeeping. */
const base = {
  id: HubId.optional(),
  tracking_guid: z.string().max(100).nullish(),
  custom_fields: z.array(CustomField).max(500).optional(),
  external_ids: z.array(ExternalId).max(100).optional(),
  extension_fields: z.array(ExtensionField).max(500).optional(),
  created_datetime: datetime,
  updated_datetime: datetime,
};

const postalAddress = {
  first_name: text(200),
  last_name: text(200),
  company: text(200),
  phone_number: text(50),
  address_1: text(500),
  address_2: text(500),
  address_3: text(500),
  city: text(200),
  region: text(200),
  country: text(100),
  postal_code: text(50),
  is_primary_billing: flag,
  is_primary_shipping: flag,
  type: text(50),
};

export const CustomerAddress = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  ...postalAddress,
  customer_id: z.union([z.string(), z.number()]).nullish(),
});
export type CustomerAddress = z.infer<typeof CustomerAddress>;

export const CustomerInput = z.object({
  ...base,
  customer_number: text(200),
  first_name: text(200),
  last_name: text(200),
  email_address: email,
  company: text(200),
  comment: text(4000),
  category_id: z.union([z.string(), z.number()]).nullish(),
  addresses: z.array(CustomerAddress).max(100).optional(),
});
export type CustomerInput = z.infer<typeof CustomerInput>;

export const TransactionAddress = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  ...postalAddress,
  shipping_method: text(200),
  shipping_method_description: text(1000),
  shipping_amount: amount,
  ship_date: datetime,
  customer_id: z.union([z.string(), z.number()]).nullish(),
});

export const TransactionLine = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  parent_id: z.union([z.string(), z.number()]).nullish(),
  sequence_number: z.number().int().nullish(),
  status: text(100),
  sku: text(200),
  description: text(2000),
  type: text(100),
  qty: amount,
  qty_shipped: amount,
  unit_price: amount,
  extended_price: amount,
  original_unit_price: amount,
  discount_amount: amount,
  discount_percent: amount,
  tax_percent: amount,
  estimated_tax_amount: amount,
  weight: amount,
  address: TransactionAddress.nullish(),
  line_info: dict,
  options: dict,
  custom_fields: z.array(CustomField).max(500).optional(),
});
export type TransactionLine = z.infer<typeof TransactionLine>;

export const TransactionPayment = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  method: text(200),
  amount: amount,
  status: text(100),
  description: text(1000),
  method_info: dict,
});

export const TransactionInput = z.object({
  ...base,
  system_id: z.union([z.string(), z.number()]).nullish(),
  transaction_parent_id: z.union([z.string(), z.number()]).nullish(),
  transaction_number: text(200),
  customer_id: z.union([z.string(), z.number()]).nullish(),
  email_address: email,
  type: text(100),
  status: text(100),
  currency: text(10),
  discount_code: text(200),
  discount_amount: amount,
  tax_amount: amount,
  shipping_amount: amount,
  subtotal: amount,
  total: amount,
  total_qty: amount,
  lines: z.array(TransactionLine).max(5000).optional(),
  taxes: z.array(freeRecord).max(500).optional(),
  payments: z.array(TransactionPayment).max(500).optional(),
  tracking: z.array(freeRecord).max(500).optional(),
  addresses: z.array(TransactionAddress).max(100).optional(),
  notes: z.array(freeRecord).max(500).optional(),
});
export type TransactionInput = z.infer<typeof TransactionInput>;

export const ProductVariant = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  sku: text(200),
  name: text(500),
  description: text(10000),
  default_price: amount,
  msrp: amount,
  sale_price: amount,
  barcode: text(200),
  status: text(100),
  weight: amount,
  image_url: text(2000),
  url: text(2000),
  inventory_quantity: amount,
  options: dict,
  custom_fields: z.array(CustomField).max(500).optional(),
});
export type ProductVariant = z.infer<typeof ProductVariant>;

export const ProductInput = z.object({
  ...base,
  sku: text(200),
  name: text(500),
  description: text(10000),
  type: text(100),
  tracking_method: text(100),
  default_price: amount,
  msrp: amount,
  sale_price: amount,
  tax_class: text(100),
  barcode: text(200),
  status: text(100),
  unit: text(100),
  allow_discounts: flag,
  allow_backorders: flag,
  in_stock_threshold: amount,
  width: amount,
  height: amount,
  depth: amount,
  weight: amount,
  kit: flag,
  image_url: text(2000),
  url: text(2000),
  variants: z.array(ProductVariant).max(1000).optional(),
  inventory: z.array(freeRecord).max(1000).optional(),
  categories: z
    .array(z.union([z.string(), freeRecord]))
    .max(500)
    .optional(),
  options: z.array(freeRecord).max(500).optional(),
  units: z.array(freeRecord).max(100).optional(),
  alternate_ids: z.array(freeRecord).max(100).optional(),
  related_products: z.array(freeRecord).max(500).optional(),
});
export type ProductInput = z.infer<typeof ProductInput>;

/** Partial updates (PATCH): any subset of the fields; arrays replace arrays. */
export const CustomerPatch = CustomerInput.partial();
export const TransactionPatch = TransactionInput.partial();
export const ProductPatch = ProductInput.partial();

/** What the hub adds to every stored record. */
export interface HubMeta {
  id: string;
  /** The service-wide change sequence number of the record's last write. */
  version: number;
  created_datetime: string;
  updated_datetime: string;
}

export type Customer = CustomerInput & HubMeta;
export type Transaction = TransactionInput & HubMeta;
export type Product = ProductInput & HubMeta;
export type HubRecord = Customer | Transaction | Product;
/** The stored record type of a kind: `HubRecordOf<'customer'>` is `Customer`. */
export type HubRecordOf<K extends HubKind> = K extends 'customer'
  ? Customer
  : K extends 'transaction'
    ? Transaction
    : Product;

export const HUB_INPUT_SCHEMAS = {
  customer: CustomerInput,
  transaction: TransactionInput,
  product: ProductInput,
} as const;

export const HUB_PATCH_SCHEMAS = {
  customer: CustomerPatch,
  transaction: TransactionPatch,
  product: ProductPatch,
} as const;

/** The plural resource name of each kind, as used in API paths (`/api/v1/customers`). */
export const HUB_RESOURCE: Record<HubKind, string> = {
  customer: 'customers',
  transaction: 'transactions',
  product: 'products',
};

/** Top-level field names of a kind (for the mapping editor's field list and validation). */
export function hubFieldNames(kind: HubKind): string[] {
  return [...Object.keys(HUB_INPUT_SCHEMAS[kind].shape), 'version'];
}
