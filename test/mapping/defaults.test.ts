import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { CustomerInput, TransactionInput } from '../../src/domain/hub.ts';
import { DEFAULT_COLLECTIONS, type DefaultCollection } from '../../src/mapping/default-collections.ts';
import { type CollectionTree, compileCollection, type MappingOutcome } from '../../src/mapping/engine.ts';
import { SAMPLE_CUSTOMER, SAMPLE_PROFILE, SAMPLE_TRANSACTION } from '../../src/mapping/samples.ts';
import { type SiblingCollection, validateCollection } from '../../src/mapping/validate.ts';
import { openApiNullable } from '../helpers/openapi.ts';

const subscription = { id: 'sub-1', default_phone_country: 'US' };

function tree(key: string): CollectionTree {
  const top = DEFAULT_COLLECTIONS.find((c) => c.key === key) as DefaultCollection;
  return { ...top, children: DEFAULT_COLLECTIONS.filter((c) => c.parent_key === key) };
}

async function mapWith(key: string, record: unknown) {
  const outcome = await compileCollection(tree(key), { subscription }).map(record);
  assert.equal(outcome.status, 'mapped', JSON.stringify(outcome));
  return outcome as Extract<MappingOutcome, { status: 'mapped' }>;
}

// Realistic hub records, each accepted by the hub's own schema.
const customers = [
  SAMPLE_CUSTOMER,
  { id: 'C-2', email_address: 'only.email@example.com' },
  {
    id: 'C-3',
    customer_number: '3003',
    first_name: 'Jan',
    last_name: 'de Vries',
    email_address: 'jan@example.nl',
    company: null,
    addresses: [
      {
        first_name: 'Jan',
        last_name: 'de Vries',
        phone_number: '06 12345678',
        address_1: 'Damrak 1',
        city: 'Amsterdam',
        country: 'Netherlands',
        postal_code: '1012 LG',
        is_primary_billing: true,
        is_primary_shipping: true,
      },
    ],
  },
  {
    id: 'C-4',
    first_name: 'Phone',
    last_name: 'Broken',
    email_address: 'broken.phone@example.com',
    addresses: [{ phone_number: '12345', country: 'US', is_primary_billing: true, city: 'Austin' }],
  },
].map((c) => CustomerInput.parse(c));

const transactions = [
  SAMPLE_TRANSACTION,
  {
    id: 'T-6002',
    transaction_number: '6002',
    email_address: 'jan@example.nl',
    status: 'fulfilled',
    currency: 'EUR',
    total: 15,
    lines: [{ sku: 'BOOK-1', description: 'A book', qty: 1, unit_price: 15, extended_price: 15 }],
    created_datetime: '2026-06-21T08:00:00+02:00',
    updated_datetime: '2026-06-22T08:00:00+02:00',
  },
  {
    id: 'T-6003',
    email_address: 'x@example.com',
    status: 'refunded',
    total: 0,
    lines: [],
    created_datetime: '2026-06-21T08:00:00Z',
    updated_datetime: '2026-06-23T08:00:00Z',
  },
].map((t) => TransactionInput.parse(t));

describe('default collections', () => {
  test('every default collection passes validation on save, children after their parents', async () => {
    const saved: SiblingCollection[] = [];
    for (const d of DEFAULT_COLLECTIONS) {
      const parent = d.parent_key ? saved.find((s) => s.id === d.parent_key) : undefined;
      const { key: _key, parent_key: _parentKey, ...input } = d;
      const spec = await validateCollection(
        { ...input, parent_id: parent?.id ?? null },
        {
          siblings: saved,
          subscription,
        },
      ).catch((e) => {
        throw new Error(`${d.name}: ${e.message} (${e.field})`);
      });
      saved.push({
        id: d.key,
        name: spec.name,
        type: spec.type,
        direction: spec.direction,
        sync_type: spec.sync_type,
        parent_id: parent?.id ?? null,
      });
    }
    assert.equal(saved.length, 9);
  });

  test('Customer → Profile maps name, email, organization, E.164 phone and the primary billing address', async () => {
    const out = await mapWith('customer_add', customers[0]);
    assert.deepEqual(out.payload, {
      email: 'sarah.mason@example.com',
      first_name: 'Sarah',
      last_name: 'Mason',
      organization: 'Example Corporation',
      phone_number: '+12125550147',
      location: {
        address1: '89 E 42nd St',
        address2: '1st floor',
        city: 'New York',
        region: 'NY',
        country: 'US',
        zip: '10017',
      },
      properties: { CustomerNumber: 'CN-1001' },
    });
    const dutch = await mapWith('customer_update', customers[2]);
    assert.equal(dutch.payload.phone_number, '+31612345678');
    assert.equal(dutch.payload.organization, null);
    const broken = await mapWith('customer_add', customers[3]);
    assert.equal(broken.payload.phone_number, undefined);
    assert.match(broken.warnings[0], /'12345' is not a valid phone number/);
  });

  test('Profile → Customer maps identity, consent and last activity; the address child maps the location', async () => {
    const out = await mapWith('profile_add', SAMPLE_PROFILE);
    assert.deepEqual(out.payload, {
      email_address: 'sarah.mason@example.com',
      first_name: 'Sarah',
      last_name: 'Mason',
      company: 'Example Corporation',
      custom_fields: [
        { custom_field_name: 'Consent', value: 'SUBSCRIBED' },
        { custom_field_name: 'LastActive', value: '2026-06-20T10:00:05+00:00' },
      ],
    });
    const [address] = out.children[0].items;
    assert.deepEqual(address.status === 'mapped' && address.payload, {
      first_name: 'Sarah',
      last_name: 'Mason',
      company: 'Example Corporation',
      phone_number: '+12125550147',
      address_1: '89 E 42nd St',
      address_2: '1st floor',
      city: 'New York',
      region: 'NY',
      country: 'United States',
      postal_code: '10017',
      is_primary_billing: true,
    });
    const noLocation = await mapWith('profile_update', { id: 'p', email: 'a@example.com', location: null });
    assert.equal(noLocation.children[0].items[0].status, 'skipped');
  });

  test('Placed Order carries the ecommerce properties; Ordered Product one event per line with Order Qty', async () => {
    const out = await mapWith('placed_order', transactions[0]);
    const p = out.payload.properties as Record<string, unknown>;
    assert.equal(out.payload.metric, 'Placed Order');
    assert.equal(out.payload.unique_id, 'T-5001');
    assert.equal(out.payload.value, 92.45);
    assert.deepEqual(out.payload.profile, { email: 'sarah.mason@example.com' });
    assert.equal(p.OrderId, 'SO-5001');
    assert.deepEqual(p.Categories, ['Apparel', 'Kitchen']);
    assert.deepEqual(p.ItemNames, ['Blue T-shirt (M)', 'Coffee mug']);
    assert.equal(p.DiscountCode, 'SPRING10');
    assert.equal(p.DiscountValue, 9);
    assert.equal((p.Items as unknown[]).length, 2);
    assert.deepEqual((p.Items as unknown[])[0], {
      ProductID: 'TEE-BLU-M',
      SKU: 'TEE-BLU-M',
      ProductName: 'Blue T-shirt (M)',
      Quantity: 2,
      ItemPrice: 19.99,
      RowTotal: 39.98,
      Categories: ['Apparel'],
    });
    assert.equal((p.BillingAddress as Record<string, unknown>).City, 'New York');
    assert.equal((p.ShippingAddress as Record<string, unknown>).City, 'Boston');
    const lines = out.children[0].items.map(
      (i): Record<string, unknown> => (i.status === 'mapped' ? i.payload : {}),
    );
    assert.deepEqual(
      lines.map((l) => [l.unique_id, (l.properties as Record<string, unknown>)['Order Qty']]),
      [
        ['T-5001:L-1', 2],
        ['T-5001:L-2', 1],
      ],
    );
    // A line with no id uses its position.
    const second = await mapWith('placed_order', transactions[1]);
    assert.equal(
      second.children[0].items[0].status === 'mapped' && second.children[0].items[0].payload.unique_id,
      'T-6002:1',
    );
  });

  test('the status Lookup Translation sends Fulfilled / Canceled / Refunded Order with the order unique_id', async () => {
    const c = compileCollection(tree('order_status'), { subscription });
    const metrics: Record<string, string> = {};
    for (const status of ['fulfilled', 'Canceled', 'cancelled', 'refunded', 'pending', 'shipped']) {
      const outcome = await c.map({ ...SAMPLE_TRANSACTION, status });
      metrics[status] =
        outcome.status === 'mapped'
          ? `${outcome.payload.metric} ${outcome.payload.unique_id}`
          : outcome.status;
    }
    assert.deepEqual(metrics, {
      fulfilled: 'Fulfilled Order T-5001',
      Canceled: 'Canceled Order T-5001',
      cancelled: 'Canceled Order T-5001',
      refunded: 'Refunded Order T-5001',
      pending: 'skipped',
      shipped: 'skipped',
    });
  });
});

// ---- contract: the bodies these payloads make are ones Klaviyo's OpenAPI document accepts -------------

const specPath = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../shared/klaviyo-openapi/stable.json',
);
let skip: string | undefined;
if (!existsSync(specPath)) {
  skip = `${specPath} is absent; Klaviyo contract checks of the default collections skipped`;
  if (process.env.CI === 'true') throw new Error(`${skip} — CI needs it`);
  console.log(`# ${skip}`);
}

function eventBody(payload: Record<string, unknown>) {
  const { metric, profile, ...attributes } = payload;
  return {
    data: {
      type: 'event',
      attributes: {
        ...attributes,
        metric: { data: { type: 'metric', attributes: { name: metric } } },
        profile: { data: { type: 'profile', attributes: profile ?? {} } },
      },
    },
  };
}

describe('contract: default FROM-hub collections produce bodies Klaviyo accepts', { skip }, () => {
  let validators: Record<string, ValidateFunction>;
  const validatorsReady = (() => {
    if (skip) return;
    const doc = openApiNullable(JSON.parse(readFileSync(specPath, 'utf8'))) as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
    (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
    ajv.addSchema(doc, 'klaviyo');
    const ref = (name: string) => ajv.compile({ $ref: `klaviyo#/components/schemas/${name}` });
    validators = {
      create: ref('ProfileCreateQuery'),
      import: ref('ProfileUpsertQuery'),
      update: ref('ProfilePartialUpdateQuery'),
      event: ref('EventCreateQueryV2'),
    };
  })();
  void validatorsReady;

  function assertValid(name: string, body: unknown) {
    const validate = validators[name];
    assert.equal(
      validate(body),
      true,
      `${name}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(body)}`,
    );
  }

  test('the validators do refuse a bad body', () => {
    assert.equal(
      validators.create({ data: { type: 'profile', attributes: { location: { city: 5 } } } }),
      false,
    );
    assert.equal(validators.event({ data: { type: 'event', attributes: { properties: {} } } }), false);
  });

  test('Customer → Profile: profile create, profile import and profile update bodies', async () => {
    for (const customer of customers) {
      const add = await mapWith('customer_add', customer);
      assertValid('create', { data: { type: 'profile', attributes: add.payload } });
      assertValid('import', { data: { type: 'profile', attributes: add.payload } });
      const update = await mapWith('customer_update', customer);
      assertValid('update', {
        data: { type: 'profile', id: '01H8TVABCDEF1234567890', attributes: update.payload },
      });
    }
  });

  test('Placed Order, Ordered Product and status events: event create bodies', async () => {
    let events = 0;
    for (const transaction of transactions) {
      const order = await mapWith('placed_order', transaction);
      assertValid('event', eventBody(order.payload));
      events++;
      for (const line of order.children[0].items) {
        assert.equal(line.status, 'mapped');
        if (line.status === 'mapped') assertValid('event', eventBody(line.payload));
        events++;
      }
      const status = await compileCollection(tree('order_status'), { subscription }).map(transaction);
      if (status.status === 'mapped') {
        assertValid('event', eventBody(status.payload));
        events++;
      }
    }
    assert.equal(events, 8);
  });
});
