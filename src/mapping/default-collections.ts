// The collections "Create Default Mappings" makes for a new subscription. docs/mappings.md lists
// them field by field; keep the two in step. Children name their parent by `key`, because ids
// exist only once stored.
import type { CollectionSpec, MappingInput } from '../domain/collections.ts';

export interface DefaultCollection extends CollectionSpec {
  key: string;
  parent_key?: string;
}

const PRIMARY_BILLING = 'addresses[is_primary_billing=true]';

/** Customer → Profile: name, email, organization, E.164 phone and the primary billing address. */
const CUSTOMER_TO_PROFILE: MappingInput[] = [
  { destination: 'email', type: 'field', source: 'email_address' },
  { destination: 'first_name', type: 'field', source: 'first_name' },
  { destination: 'last_name', type: 'field', source: 'last_name' },
  { destination: 'organization', type: 'field', source: 'company' },
  {
    destination: 'phone_number',
    type: 'dynamic_formula',
    // The first primary billing address, written so the fast lane evaluates it without JSONata.
    formula:
      '$e164(addresses[is_primary_billing = true][0].phone_number, addresses[is_primary_billing = true][0].country)',
    description: 'Primary billing phone in E.164; left out with a warning when it cannot be normalized',
  },
  { destination: 'location.address1', type: 'field', source: `${PRIMARY_BILLING}.address_1` },
  { destination: 'location.address2', type: 'field', source: `${PRIMARY_BILLING}.address_2` },
  { destination: 'location.city', type: 'field', source: `${PRIMARY_BILLING}.city` },
  { destination: 'location.region', type: 'field', source: `${PRIMARY_BILLING}.region` },
  { destination: 'location.country', type: 'field', source: `${PRIMARY_BILLING}.country` },
  { destination: 'location.zip', type: 'field', source: `${PRIMARY_BILLING}.postal_code` },
  { destination: 'properties.CustomerNumber', type: 'field', source: 'customer_number' },
];

/** Profile → Customer: identity fields and the two default custom fields (docs/flows.md, Profile → Customer). */
const PROFILE_TO_CUSTOMER: MappingInput[] = [
  { destination: 'email_address', type: 'field', source: 'email' },
  { destination: 'first_name', type: 'field', source: 'first_name' },
  { destination: 'last_name', type: 'field', source: 'last_name' },
  { destination: 'company', type: 'field', source: 'organization' },
  { destination: 'custom_fields.Consent', type: 'field', source: 'subscriptions.email.marketing.consent' },
  { destination: 'custom_fields.LastActive', type: 'field', source: 'last_event_date' },
];

const PROFILE_TO_ADDRESS: MappingInput[] = [
  { destination: 'first_name', type: 'field', source: 'first_name' },
  { destination: 'last_name', type: 'field', source: 'last_name' },
  { destination: 'company', type: 'field', source: 'organization' },
  { destination: 'phone_number', type: 'field', source: 'phone_number' },
  { destination: 'address_1', type: 'field', source: 'location.address1' },
  { destination: 'address_2', type: 'field', source: 'location.address2' },
  { destination: 'city', type: 'field', source: 'location.city' },
  { destination: 'region', type: 'field', source: 'location.region' },
  { destination: 'country', type: 'field', source: 'location.country' },
  { destination: 'postal_code', type: 'field', source: 'location.zip' },
];

const HAS_LOCATION =
  '$not($isEmpty(location.address1) and $isEmpty(location.city) and $isEmpty(location.zip) and $isEmpty(location.country))';

/**
 * The `EventProperties` formula: Klaviyo's ecommerce guide properties of an order, as one object. Add
 * key/value pairs to the object to send more.
 */
export const ORDER_PROPERTIES_FORMULA = `(
  $address := function($a) {
    $a ? {
      "FirstName": $a.first_name,
      "LastName": $a.last_name,
      "Company": $a.company,
      "Address1": $a.address_1,
      "Address2": $a.address_2,
      "City": $a.city,
      "Region": $a.region,
      "RegionCode": $a.region,
      "Country": $a.country,
      "CountryCode": $countryCode($a.country),
      "Zip": $a.postal_code,
      "Phone": $a.phone_number
    }
  };
  $billing := $coalesce($firstMatch(addresses, "type = 'billing'"), $firstMatch(addresses, "is_primary_billing = true"));
  $shipping := $coalesce($firstMatch(addresses, "type = 'shipping'"), $firstMatch(addresses, "is_primary_shipping = true"));
  {
    "OrderId": $coalesce(transaction_number, id),
    "Categories": [$distinct(lines.line_info.category)],
    "ItemNames": [lines.description],
    "DiscountCode": discount_code,
    "DiscountValue": discount_amount,
    "Subtotal": subtotal,
    "TaxAmount": tax_amount,
    "ShippingAmount": shipping_amount,
    "Items": [lines.{
      "ProductID": $coalesce(line_info.product_id, sku),
      "SKU": sku,
      "ProductName": description,
      "Quantity": qty,
      "ItemPrice": unit_price,
      "RowTotal": extended_price,
      "Categories": [line_info.category]
    }],
    "BillingAddress": $address($billing),
    "ShippingAddress": $address($shipping)
  }
)`;

export const LINE_PROPERTIES_FORMULA = `{
  "OrderId": $coalesce($parent.transaction_number, $parent.id),
  "ProductID": $coalesce(line_info.product_id, sku),
  "SKU": sku,
  "ProductName": description,
  "Quantity": qty,
  "ItemPrice": unit_price,
  "RowTotal": extended_price,
  "Categories": [line_info.category]
}`;

/** Order status → Klaviyo metric; a status not in the table sends no event. Editable per subscription. */
export const ORDER_STATUS_EVENTS: Record<string, string> = {
  fulfilled: 'Fulfilled Order',
  canceled: 'Canceled Order',
  cancelled: 'Canceled Order',
  refunded: 'Refunded Order',
};

function orderEvent(metric: MappingInput, time: string): MappingInput[] {
  return [
    metric,
    { destination: 'unique_id', type: 'field', source: 'id' },
    { destination: 'time', type: 'field', source: time },
    { destination: 'value', type: 'field', source: 'total' },
    { destination: 'value_currency', type: 'field', source: 'currency' },
    { destination: 'profile.email', type: 'field', source: 'email_address' },
    {
      destination: 'properties',
      type: 'dynamic_formula',
      formula: ORDER_PROPERTIES_FORMULA,
      description: 'EventProperties',
    },
  ];
}

const common = {
  collision_handling: 'error',
  enabled: true,
  mapping_filter: null,
  error_filter: null,
} as const;

export const DEFAULT_COLLECTIONS: DefaultCollection[] = [
  {
    ...common,
    // An existing profile/customer with the same identifiers is updated and linked, never duplicated.
    collision_handling: 'update_and_link',
    key: 'customer_add',
    name: 'Add Klaviyo Profile FROM hub',
    type: 'customer',
    direction: 'from_hub',
    sync_type: 'add',
    sort_order: 10,
    description: 'Creates a Klaviyo profile for a hub customer that is not linked yet',
    mappings: CUSTOMER_TO_PROFILE,
  },
  {
    ...common,
    key: 'customer_update',
    name: 'Update Klaviyo Profile FROM hub',
    type: 'customer',
    direction: 'from_hub',
    sync_type: 'update',
    sort_order: 20,
    description: 'Updates the linked Klaviyo profile of a hub customer',
    mappings: CUSTOMER_TO_PROFILE,
  },
  {
    ...common,
    // An existing profile/customer with the same identifiers is updated and linked, never duplicated.
    collision_handling: 'update_and_link',
    key: 'profile_add',
    name: 'Add Klaviyo Profile TO hub',
    type: 'customer',
    direction: 'to_hub',
    sync_type: 'add',
    sort_order: 30,
    description: 'Creates a hub customer for a Klaviyo profile seen for the first time',
    mappings: PROFILE_TO_CUSTOMER,
  },
  {
    ...common,
    key: 'profile_address_add',
    parent_key: 'profile_add',
    name: 'Add Klaviyo Profile Address TO hub',
    type: 'customer_address',
    direction: 'to_hub',
    sync_type: 'add',
    sort_order: 31,
    mapping_filter: HAS_LOCATION,
    description: "Writes the profile's location, name, organization and phone as the customer's address",
    mappings: [...PROFILE_TO_ADDRESS, { destination: 'is_primary_billing', type: 'static', value: true }],
  },
  {
    ...common,
    key: 'profile_update',
    name: 'Update Klaviyo Profile TO hub',
    type: 'customer',
    direction: 'to_hub',
    sync_type: 'update',
    sort_order: 40,
    description: 'Applies profile changes to the linked hub customer',
    mappings: PROFILE_TO_CUSTOMER,
  },
  {
    ...common,
    key: 'profile_address_update',
    parent_key: 'profile_update',
    name: 'Update Klaviyo Profile Address TO hub',
    type: 'customer_address',
    direction: 'to_hub',
    sync_type: 'update',
    sort_order: 41,
    mapping_filter: HAS_LOCATION,
    description: "Keeps the customer's address in step with the profile's location",
    mappings: PROFILE_TO_ADDRESS,
  },
  {
    ...common,
    key: 'placed_order',
    name: 'Add Klaviyo Placed Order Event FROM hub',
    type: 'transaction',
    direction: 'from_hub',
    sync_type: 'add',
    sort_order: 50,
    description: "Sends a Placed Order event on the customer's profile (gated by Generate Events)",
    mappings: orderEvent(
      { destination: 'metric', type: 'static', value: 'Placed Order' },
      'created_datetime',
    ),
  },
  {
    ...common,
    key: 'ordered_product',
    parent_key: 'placed_order',
    name: 'Add Klaviyo Ordered Product Event FROM hub',
    type: 'transaction_line',
    direction: 'from_hub',
    sync_type: 'add',
    sort_order: 51,
    description: 'Sends one Ordered Product event per transaction line',
    mappings: [
      { destination: 'metric', type: 'static', value: 'Ordered Product' },
      {
        destination: 'unique_id',
        type: 'dynamic_formula',
        formula: '$parent.id & ":" & $coalesce(id, sequence_number, $itemIndex + 1)',
      },
      { destination: 'time', type: 'field', source: '$parent.created_datetime' },
      { destination: 'value', type: 'field', source: 'extended_price' },
      { destination: 'value_currency', type: 'field', source: '$parent.currency' },
      { destination: 'profile.email', type: 'field', source: '$parent.email_address' },
      { destination: 'properties', type: 'dynamic_formula', formula: LINE_PROPERTIES_FORMULA },
      { destination: 'properties.Order Qty', type: 'field', source: 'qty' },
    ],
  },
  {
    ...common,
    key: 'order_status',
    name: 'Add Klaviyo Order Status Event FROM hub',
    type: 'transaction',
    direction: 'from_hub',
    sync_type: 'update',
    sort_order: 60,
    description:
      'On a status change, sends Fulfilled Order, Canceled Order or Refunded Order with the Placed Order unique_id',
    mappings: orderEvent(
      {
        destination: 'metric',
        type: 'lookup_translation',
        source: 'status',
        table: ORDER_STATUS_EVENTS,
        default: null,
      },
      'updated_datetime',
    ),
  },
];
