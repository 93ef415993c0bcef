import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPossiblePhoneNumber, isValidPhoneNumber, parsePhoneNumberFromString } from 'libphonenumber-js';
import { COUNTRIES } from '../../src/demo/sample-data.ts';
import { CustomerInput, ProductInput, TransactionInput } from '../../src/domain/hub.ts';
import { createRandom } from '../../src/demo/prng.ts';
import { generateSampleData, toNdjson } from '../../src/demo/sample-data.ts';

const data = generateSampleData();

test('the same seed gives the same data, another seed other data', () => {
  assert.deepEqual(
    generateSampleData({ customers: 50, orders: 80 }),
    generateSampleData({ customers: 50, orders: 80 }),
  );
  const other = generateSampleData({ seed: 'other', customers: 50, orders: 80 });
  assert.notDeepEqual(other.customers, generateSampleData({ customers: 50, orders: 80 }).customers);
});

test('the PRNG stays in range and is not constant', () => {
  const random = createRandom(7);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const n = random.int(3, 9);
    assert.ok(n >= 3 && n <= 9);
    seen.add(n);
  }
  assert.equal(seen.size, 7);
});

test('the default set is 1,000 customers and 2,000 orders with unique ids and emails', () => {
  assert.equal(data.customers.length, 1000);
  assert.equal(data.transactions.length, 2000);
  assert.equal(new Set(data.customers.map((c) => c.id)).size, 1000);
  assert.equal(new Set(data.transactions.map((t) => t.id)).size, 2000);
  const emails = data.customers.map((c) => c.email_address).filter((e) => e !== null);
  assert.equal(new Set(emails).size, emails.length);
  for (const email of emails) assert.match(email, /^[a-z0-9.]+@example\.(com|org|net)$/);
});

test('customers live in several countries and carry consent custom fields', () => {
  const countries = new Set(data.customers.map((c) => c.addresses[0].country));
  assert.ok(countries.size >= 6, `countries: ${[...countries]}`);
  const fieldNames = new Set(data.customers.flatMap((c) => c.custom_fields.map((f) => f.custom_field_name)));
  assert.ok(fieldNames.has('SubscribeProfile'));
  assert.ok(fieldNames.has('LIST_Newsletter'));
  for (const c of data.customers) {
    assert.equal(c.addresses.filter((a) => a.is_primary_billing).length, 1, c.id);
    assert.ok(
      c.addresses.some((a) => a.is_primary_shipping),
      c.id,
    );
  }
});

test('every phone is valid for its country except the broken ones, which are listed', () => {
  const broken = new Map(data.invalidPhones.map((p) => [p.customer_id, p]));
  assert.equal(broken.size, 30);
  assert.equal(data.invalidPhones.filter((p) => !p.has_email).length, 10);
  let e164 = 0;
  let national = 0;
  for (const c of data.customers) {
    const address = c.addresses[0];
    const phone = address.phone_number;
    if (broken.has(c.id)) {
      assert.equal(phone, broken.get(c.id)!.phone_number);
      for (const country of COUNTRIES) {
        assert.equal(
          isValidPhoneNumber(phone!, country) || isPossiblePhoneNumber(phone!, country),
          false,
          phone!,
        );
      }
      assert.equal(c.email_address === null, !broken.get(c.id)!.has_email);
      continue;
    }
    assert.notEqual(c.email_address, null, c.id);
    if (phone === null) continue;
    const parsed = parsePhoneNumberFromString(phone, address.country);
    assert.ok(parsed?.isValid(), `${c.id} ${phone}`);
    assert.equal(parsed!.country, address.country, `${c.id} ${phone}`);
    if (phone.startsWith('+')) e164++;
    else national++;
  }
  assert.ok(e164 > 600, `e164 ${e164}`);
  assert.ok(national > 50, `national ${national}`);
});

test('orders belong to customers with an email, and their totals add up', () => {
  const byId = new Map(data.customers.map((c) => [c.id, c]));
  for (const t of data.transactions) {
    const customer = byId.get(t.customer_id);
    assert.ok(customer, t.customer_id);
    assert.equal(t.email_address, customer.email_address);
    assert.notEqual(t.email_address, null);
    assert.ok(t.lines.length >= 1);
    const subtotal = t.lines.reduce((s, l) => s + l.extended_price, 0);
    assert.ok(Math.abs(subtotal - t.subtotal) < 0.005, t.id);
    const total = t.subtotal - t.discount_amount + t.tax_amount + t.shipping_amount;
    assert.ok(Math.abs(total - t.total) < 0.011, t.id);
    assert.equal(
      t.total_qty,
      t.lines.reduce((s, l) => s + l.qty, 0),
    );
    assert.ok(t.created_datetime >= customer.created_datetime, t.id);
  }
  const lineIds = data.transactions.flatMap((t) => t.lines.map((l) => l.id));
  assert.equal(new Set(lineIds).size, lineIds.length);
});

test('toNdjson writes one parseable record per line', () => {
  const text = toNdjson(data.customers.slice(0, 3));
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.deepEqual(JSON.parse(lines[2]), data.customers[2]);
  assert.equal(toNdjson([]), '');
});

test('every sample record passes the hub input schemas unchanged', () => {
  for (const [records, schema] of [
    [data.customers, CustomerInput],
    [data.transactions, TransactionInput],
    [data.products, ProductInput],
  ] as const) {
    for (const record of records) {
      const parsed = schema.safeParse(record);
      assert.ok(parsed.success, `${record.id}: ${parsed.error?.message}`);
      // Nothing the hub would silently drop: the demo shows every field it generates.
      assert.deepEqual(Object.keys(parsed.data).sort(), Object.keys(record).sort(), record.id);
    }
  }
});
