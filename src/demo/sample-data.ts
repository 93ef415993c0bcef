// The demo's sample data: customers with addresses and consent fields, products, and orders with lines,
// in the hub's snake_case shapes (docs/hub.md). Seeded, so every run makes the same records and the demo's
// test knows in advance which customers carry a broken phone number on purpose.
import { isValidPhoneNumber, parsePhoneNumber, parsePhoneNumberFromString } from 'libphonenumber-js';
import { isValidPhoneNumber as isValidPhoneNumberMax } from 'libphonenumber-js/max';
import { type CountryCode, LOCALES, type Locale, pickLocale } from './locales.ts';
import { createRandom, type Random } from './prng.ts';
import type {
  CustomField,
  InvalidPhoneCase,
  SampleAddress,
  SampleCustomer,
  SampleData,
  SampleProduct,
  SampleTransaction,
  SampleTransactionLine,
} from './types.ts';

export type * from './types.ts';

export interface SampleDataOptions {
  seed?: string;
  customers?: number;
  orders?: number;
  products?: number;
}

export const DEFAULT_SEED = 'klaviyo-sync-demo';
export const NEWSLETTER_LIST = 'Newsletter';
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'];
const COMPANIES = [
  'Acme Outdoor',
  'Northwind Traders',
  'Blue Harbor Studio',
  'Kettle & Co',
  'Brightline Labs',
];
// Each is wrong in a different way a real ERP export can be: too short, a lone digit after the country
// code, letters, a country code that does not exist, too long. None is even a possible number in any
// demo country (the tests check it).
const BROKEN_PHONES = ['+1 415 12', '+49 1', 'call me', '+999 1234567', '+44 7700 900 123 456 789', '12'];
// Dates are spread over a fixed window, never "now", so the data is identical on every run.
const WINDOW_START = Date.UTC(2025, 0, 1);
const WINDOW_END = Date.UTC(2026, 9, 31);

const CURRENCIES: Record<CountryCode, string> = {
  US: 'USD',
  GB: 'GBP',
  DE: 'EUR',
  FR: 'EUR',
  CA: 'CAD',
  AU: 'AUD',
  NL: 'EUR',
};

const round2 = (n: number) => Math.round(n * 100) / 100;
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const asciiSlug = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');

/**
 * A mobile number valid by both libphonenumber metadata sets, so no normalizer can disagree, and one
 * that belongs to the customer's country (+44 7xxx also covers Jersey, Guernsey and the Isle of Man).
 */
function validMobile(random: Random, locale: Locale): string {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = locale.mobileCandidate(random);
    const valid = isValidPhoneNumber(candidate) && isValidPhoneNumberMax(candidate);
    if (valid && parsePhoneNumberFromString(candidate)?.country === locale.country) return candidate;
  }
  throw new Error(`could not make a valid ${locale.country} mobile number`);
}

/** Fisher–Yates over indexes, to choose exactly k customers for each special case. */
function shuffledIndexes(random: Random, n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function makeProducts(random: Random, count: number): SampleProduct[] {
  const adjectives = [
    'Classic',
    'Everyday',
    'Trail',
    'Merino',
    'Organic',
    'Weatherproof',
    'Compact',
    'Heritage',
  ];
  const nouns: [string, string, number][] = [
    ['Tee', 'Apparel', 24],
    ['Hoodie', 'Apparel', 59],
    ['Beanie', 'Accessories', 19],
    ['Backpack', 'Bags', 89],
    ['Water Bottle', 'Accessories', 22],
    ['Rain Jacket', 'Outerwear', 139],
    ['Socks (3-pack)', 'Apparel', 18],
    ['Duffel', 'Bags', 110],
    ['Camp Mug', 'Home', 16],
    ['Trail Runner', 'Footwear', 125],
  ];
  return Array.from({ length: count }, (_, i) => {
    const [noun, category, base] = nouns[i % nouns.length];
    const adjective = adjectives[Math.floor(i / nouns.length) % adjectives.length];
    const price = round2(base + random.int(0, 20) - 0.01);
    const created = new Date(WINDOW_START - random.int(30, 400) * 86_400_000).toISOString();
    return {
      id: `P${pad(i + 1, 4)}`,
      sku: `SKU-${pad(1000 + i, 5)}`,
      name: `${adjective} ${noun}`,
      description: `${adjective} ${noun.toLowerCase()} from the demo catalog.`,
      type: 'Simple',
      status: 'Active',
      default_price: price,
      msrp: round2(price * 1.2),
      categories: [category],
      created_datetime: created,
      updated_datetime: created,
    };
  });
}

function makeAddress(random: Random, locale: Locale, first: string, last: string, phone: string | null) {
  const place = random.pick(locale.places);
  return {
    first_name: first,
    last_name: last,
    company: null,
    phone_number: phone,
    address_1: locale.streetLine(random, random.pick(locale.streets)),
    address_2: random.chance(0.15) ? `Apt ${random.int(1, 40)}` : null,
    city: place.city,
    region: place.region,
    country: locale.country,
    postal_code: locale.postalCode(random),
  };
}

export function generateSampleData(options: SampleDataOptions = {}): SampleData {
  const seed = options.seed ?? DEFAULT_SEED;
  const customerCount = options.customers ?? 1000;
  const orderCount = options.orders ?? 2000;
  const random = createRandom(seed);
  const products = makeProducts(random, options.products ?? 40);

  // Special cases, chosen up front so their counts are exact: 2% carry a broken phone but have an
  // email (the phone is dropped with a warning), 1% carry a broken phone as their only identifier
  // (their transfers fail), and 12% give the phone in national format (normalized with the country).
  const order = shuffledIndexes(random, customerCount);
  const brokenWithEmail = new Set(order.slice(0, Math.round(customerCount * 0.02)));
  const brokenNoEmailStart = brokenWithEmail.size;
  const brokenNoEmail = new Set(
    order.slice(brokenNoEmailStart, brokenNoEmailStart + Math.round(customerCount * 0.01)),
  );
  const nationalStart = brokenNoEmailStart + brokenNoEmail.size;
  const nationalFormat = new Set(
    order.slice(nationalStart, nationalStart + Math.round(customerCount * 0.12)),
  );

  const customers: SampleCustomer[] = [];
  const invalidPhones: InvalidPhoneCase[] = [];
  for (let i = 0; i < customerCount; i++) {
    const locale = pickLocale(random);
    const first = random.pick(locale.firstNames);
    const last = random.pick(locale.lastNames);
    const id = `C${pad(i + 1, 5)}`;
    const broken = brokenWithEmail.has(i) || brokenNoEmail.has(i);
    let phone: string | null = null;
    if (broken) {
      phone = random.pick(BROKEN_PHONES);
      invalidPhones.push({ customer_id: id, phone_number: phone, has_email: !brokenNoEmail.has(i) });
    } else if (random.chance(0.85) || nationalFormat.has(i)) {
      const e164 = validMobile(random, locale);
      phone = nationalFormat.has(i) ? parsePhoneNumber(e164).formatNational() : e164;
    }
    const email = brokenNoEmail.has(i)
      ? null
      : `${asciiSlug(first)}.${asciiSlug(last)}${i + 1}@${random.pick(EMAIL_DOMAINS)}`;
    const created = WINDOW_START + random.int(0, Math.floor((WINDOW_END - WINDOW_START) * 0.7));
    const updated = created + random.int(0, 90) * 86_400_000;
    const company = random.chance(0.12) ? random.pick(COMPANIES) : null;
    const home = { ...makeAddress(random, locale, first, last, phone), company };
    const addresses: SampleAddress[] = [{ ...home, is_primary_billing: true, is_primary_shipping: true }];
    if (random.chance(0.2)) {
      // A second address, for shipping elsewhere (work, family): billing stays the first one.
      addresses[0].is_primary_shipping = false;
      addresses.push({
        ...makeAddress(random, locale, first, last, null),
        company,
        is_primary_billing: false,
        is_primary_shipping: true,
      });
    }
    const customFields: CustomField[] = [];
    const consentRoll = random.next();
    if (consentRoll < 0.6) customFields.push({ custom_field_name: 'SubscribeProfile', value: 'true' });
    else if (consentRoll < 0.7) customFields.push({ custom_field_name: 'SubscribeProfile', value: 'false' });
    if (random.chance(0.4))
      customFields.push({ custom_field_name: `LIST_${NEWSLETTER_LIST}`, value: 'true' });
    customFields.push({
      custom_field_name: 'Loyalty Tier',
      value: random.pick(['Bronze', 'Bronze', 'Silver', 'Gold']),
    });
    customers.push({
      id,
      customer_number: `CUST-${pad(10000 + i, 6)}`,
      first_name: first,
      last_name: last,
      email_address: email,
      company,
      comment: random.chance(0.05) ? 'Prefers delivery after 5pm.' : null,
      created_datetime: new Date(created).toISOString(),
      updated_datetime: new Date(Math.min(updated, WINDOW_END)).toISOString(),
      addresses,
      custom_fields: customFields,
    });
  }

  // Orders go to customers Klaviyo can identify (an email); a phone-only broken customer has none.
  const buyers = customers.filter((c) => c.email_address !== null);
  const transactions: SampleTransaction[] = [];
  for (let i = 0; i < orderCount && buyers.length > 0; i++) {
    transactions.push(makeTransaction(random, i, random.pick(buyers), products));
  }
  transactions.sort((a, b) => a.created_datetime.localeCompare(b.created_datetime));
  return { seed, customers, products, transactions, invalidPhones };
}

function makeTransaction(
  random: Random,
  index: number,
  customer: SampleCustomer,
  products: SampleProduct[],
): SampleTransaction {
  const id = `T${pad(index + 1, 6)}`;
  const created = Date.parse(customer.created_datetime) + random.int(1, 240) * 3_600_000 * 24;
  const createdAt = new Date(Math.min(created, WINDOW_END)).toISOString();
  const lineCount = random.pick([1, 1, 1, 2, 2, 3, 4]);
  const lines: SampleTransactionLine[] = [];
  for (let n = 1; n <= lineCount; n++) {
    const product = random.pick(products);
    const qty = random.pick([1, 1, 1, 2, 3]);
    lines.push({
      id: `${id}-L${n}`,
      sequence_number: n,
      sku: product.sku,
      description: product.name,
      type: 'Product',
      status: 'Open',
      qty,
      unit_price: product.default_price,
      extended_price: round2(product.default_price * qty),
      discount_amount: 0,
    });
  }
  const subtotal = round2(lines.reduce((sum, l) => sum + l.extended_price, 0));
  const discounted = random.chance(0.15);
  const discount = discounted ? round2(subtotal * 0.1) : 0;
  const shipping = subtotal >= 75 ? 0 : 5.95;
  const tax = round2((subtotal - discount) * 0.08);
  const total = round2(subtotal - discount + tax + shipping);
  const billing = customer.addresses.find((a) => a.is_primary_billing) ?? customer.addresses[0];
  const shippingTo = customer.addresses.find((a) => a.is_primary_shipping) ?? billing;
  const { is_primary_billing: _b, is_primary_shipping: _s, ...billingFields } = billing;
  const { is_primary_billing: _b2, is_primary_shipping: _s2, ...shippingFields } = shippingTo;
  return {
    id,
    transaction_number: `SO-${pad(50000 + index, 6)}`,
    customer_id: customer.id,
    email_address: customer.email_address,
    type: 'Order',
    status: random.pick(['Pending', 'Processing', 'Processing', 'Completed', 'Completed', 'Completed']),
    currency: CURRENCIES[billing.country],
    discount_code: discounted ? random.pick(['WELCOME10', 'SPRING10']) : null,
    discount_amount: discount,
    tax_amount: tax,
    shipping_amount: shipping,
    subtotal,
    total,
    total_qty: lines.reduce((sum, l) => sum + l.qty, 0),
    created_datetime: createdAt,
    updated_datetime: createdAt,
    lines,
    addresses: [
      {
        ...billingFields,
        type: 'Billing',
        is_primary_billing: true,
        is_primary_shipping: false,
        shipping_method: null,
      },
      {
        ...shippingFields,
        type: 'Shipping',
        is_primary_billing: false,
        is_primary_shipping: true,
        shipping_method: shipping === 0 ? 'Free Standard' : 'Standard',
      },
    ],
    payments: [
      {
        method: random.pick(['Credit Card', 'Credit Card', 'PayPal', 'Gift Card']),
        amount: total,
        status: 'Captured',
      },
    ],
  };
}

/** One JSON document per line, the NDJSON import format. */
export function toNdjson(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '');
}

export const COUNTRIES = LOCALES.map((l) => l.country);
