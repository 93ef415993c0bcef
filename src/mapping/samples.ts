// Sample source records per (type, direction). Validation runs filters on them to prove they answer true
// or false; the preview and the docs use them as examples. They are realistic on purpose: a filter that
// breaks on a real record should break here first.
import type { CollectionType, Direction } from '../domain/collections.ts';

export const SAMPLE_CUSTOMER = {
  id: 'C-1001',
  version: 7,
  customer_number: 'CN-1001',
  first_name: 'Sarah',
  last_name: 'Mason',
  email_address: 'sarah.mason@example.com',
  company: 'Example Corporation',
  comment: 'Prefers email contact',
  custom_fields: [
    { custom_field_name: 'Tier', value: 'Gold' },
    { custom_field_name: 'SubscribeProfile', value: 'true' },
  ],
  addresses: [
    {
      first_name: 'Sarah',
      last_name: 'Mason',
      company: 'Example Corporation',
      phone_number: '(212) 555-0147',
      address_1: '89 E 42nd St',
      address_2: '1st floor',
      city: 'New York',
      region: 'NY',
      country: 'US',
      postal_code: '10017',
      is_primary_billing: true,
      is_primary_shipping: false,
    },
    {
      first_name: 'Sarah',
      last_name: 'Mason',
      address_1: '12 Harbor Rd',
      city: 'Boston',
      region: 'MA',
      country: 'US',
      postal_code: '02110',
      is_primary_billing: false,
      is_primary_shipping: true,
    },
  ],
  created_datetime: '2026-05-01T09:30:00Z',
  updated_datetime: '2026-06-15T14:05:00Z',
};

export const SAMPLE_TRANSACTION = {
  id: 'T-5001',
  version: 12,
  transaction_number: 'SO-5001',
  customer_id: 'C-1001',
  email_address: 'sarah.mason@example.com',
  type: 'order',
  status: 'pending',
  currency: 'USD',
  subtotal: 89.97,
  discount_code: 'SPRING10',
  discount_amount: 9,
  tax_amount: 6.48,
  shipping_amount: 5,
  total: 92.45,
  lines: [
    {
      id: 'L-1',
      sequence_number: 1,
      sku: 'TEE-BLU-M',
      description: 'Blue T-shirt (M)',
      qty: 2,
      unit_price: 19.99,
      extended_price: 39.98,
      line_info: { category: 'Apparel' },
    },
    {
      id: 'L-2',
      sequence_number: 2,
      sku: 'MUG-01',
      description: 'Coffee mug',
      qty: 1,
      unit_price: 49.99,
      extended_price: 49.99,
      line_info: { category: 'Kitchen' },
    },
  ],
  addresses: [
    {
      type: 'billing',
      first_name: 'Sarah',
      last_name: 'Mason',
      phone_number: '(212) 555-0147',
      address_1: '89 E 42nd St',
      city: 'New York',
      region: 'NY',
      country: 'US',
      postal_code: '10017',
      is_primary_billing: true,
    },
    {
      type: 'shipping',
      first_name: 'Sarah',
      last_name: 'Mason',
      address_1: '12 Harbor Rd',
      city: 'Boston',
      region: 'MA',
      country: 'US',
      postal_code: '02110',
      is_primary_shipping: true,
    },
  ],
  payments: [{ method: 'card', amount: 92.45, status: 'captured' }],
  created_datetime: '2026-06-20T10:00:00Z',
  updated_datetime: '2026-06-20T10:00:00Z',
};

export const SAMPLE_PRODUCT = {
  id: 'P-1',
  version: 3,
  sku: 'TEE-BLU',
  name: 'Blue T-shirt',
  description: 'A soft cotton T-shirt',
  default_price: 19.99,
  status: 'active',
  url: 'https://shop.example.com/p/tee-blu',
  image_url: 'https://shop.example.com/img/tee-blu.jpg',
  variants: [{ sku: 'TEE-BLU-M', name: 'Blue T-shirt (M)', default_price: 19.99, inventory_quantity: 25 }],
  created_datetime: '2026-01-10T08:00:00Z',
  updated_datetime: '2026-06-01T08:00:00Z',
};

/** A Klaviyo profile as TO-hub collections see it: the API resource's attributes plus its id. */
export const SAMPLE_PROFILE = {
  id: '01H8TVABCDEF1234567890',
  email: 'sarah.mason@example.com',
  phone_number: '+12125550147',
  external_id: null,
  first_name: 'Sarah',
  last_name: 'Mason',
  organization: 'Example Corporation',
  locale: 'en-US',
  title: 'Regional Manager',
  image: null,
  created: '2026-05-01T09:31:00+00:00',
  updated: '2026-06-15T14:06:00+00:00',
  last_event_date: '2026-06-20T10:00:05+00:00',
  location: {
    address1: '89 E 42nd St',
    address2: '1st floor',
    city: 'New York',
    country: 'United States',
    region: 'NY',
    zip: '10017',
    timezone: 'America/New_York',
    ip: null,
    latitude: null,
    longitude: null,
  },
  properties: { Tier: 'Gold' },
  subscriptions: {
    email: {
      marketing: {
        can_receive_email_marketing: true,
        consent: 'SUBSCRIBED',
        consent_timestamp: '2026-05-01T09:31:00+00:00',
      },
    },
  },
};

export interface SampleRecord {
  record: unknown;
  parent?: unknown;
}

/** The sample a collection of this type and direction runs on (with its parent for child types). */
export function sampleRecord(type: CollectionType, direction: Direction): SampleRecord {
  if (direction === 'to_hub') {
    if (type === 'customer' || type === 'customer_address') {
      return type === 'customer'
        ? { record: SAMPLE_PROFILE }
        : { record: SAMPLE_PROFILE, parent: SAMPLE_PROFILE };
    }
    return { record: {} };
  }
  switch (type) {
    case 'customer':
      return { record: SAMPLE_CUSTOMER };
    case 'customer_address':
      return { record: SAMPLE_CUSTOMER.addresses[0], parent: SAMPLE_CUSTOMER };
    case 'transaction':
      return { record: SAMPLE_TRANSACTION };
    case 'transaction_line':
      return { record: SAMPLE_TRANSACTION.lines[0], parent: SAMPLE_TRANSACTION };
    case 'product':
      return { record: SAMPLE_PRODUCT };
    case 'product_variant':
      return { record: SAMPLE_PRODUCT.variants[0], parent: SAMPLE_PRODUCT };
  }
}

/**
 * Turns a Klaviyo profile resource (`{type:"profile", id, attributes:{…}}`, as the API returns it) into
 * the flat record TO-hub collections read; a record already flat is returned as it is.
 */
export function profileSourceRecord(resource: unknown): Record<string, unknown> {
  if (resource === null || typeof resource !== 'object') return {};
  const r = resource as { type?: unknown; id?: unknown; attributes?: unknown };
  if (r.type === 'profile' && r.attributes && typeof r.attributes === 'object') {
    return { id: r.id, ...(r.attributes as Record<string, unknown>) };
  }
  return resource as Record<string, unknown>;
}
