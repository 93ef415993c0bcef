import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MappingInput } from '../../src/domain/collections.ts';
import { AppError } from '../../src/domain/errors.ts';
import { type CollectionTree, compileCollection, type MappingOutcome } from '../../src/mapping/engine.ts';

const customer = {
  id: 'C-1',
  first_name: 'Sarah',
  last_name: 'Mason',
  email_address: 'sarah@example.com',
  company: 'Example Corp',
  status: 'VIP',
  custom_fields: [
    { custom_field_name: 'Tier', value: 'Gold' },
    { custom_field_name: 'Newsletter', value: 'yes' },
  ],
  addresses: [
    { city: 'Boston', is_primary_billing: false, phone_number: '617 555 0100', country: 'US' },
    { city: 'New York', is_primary_billing: true, phone_number: '(212) 555-0147', country: 'United States' },
  ],
  created_datetime: '2026-06-20T12:00:00+02:00',
};

function profile(mappings: MappingInput[], extra: Partial<CollectionTree> = {}): CollectionTree {
  return {
    name: 'Test profile',
    type: 'customer',
    direction: 'from_hub',
    sync_type: 'update',
    mappings,
    ...extra,
  };
}

async function mapped(c: CollectionTree, record: unknown = customer, opts = {}) {
  const outcome = await compileCollection(c, {
    subscription: { id: 'sub-1', default_phone_country: 'US' },
  }).map(record, opts);
  assert.equal(outcome.status, 'mapped', JSON.stringify(outcome));
  return outcome as Extract<MappingOutcome, { status: 'mapped' }>;
}

async function failed(c: CollectionTree, record: unknown = customer) {
  const outcome = await compileCollection(c).map(record);
  assert.equal(outcome.status, 'failed', JSON.stringify(outcome));
  return (outcome as Extract<MappingOutcome, { status: 'failed' }>).error;
}

const formula = (destination: string, text: string): MappingInput => ({
  destination,
  type: 'dynamic_formula',
  formula: text,
});

describe('mapping types', () => {
  test('static: constants of every JSON scalar type, null included', async () => {
    const out = await mapped(
      profile([
        { destination: 'properties.a', type: 'static', value: 'x' },
        { destination: 'properties.b', type: 'static', value: 2.5 },
        { destination: 'properties.c', type: 'static', value: false },
        { destination: 'title', type: 'static', value: null },
      ]),
    );
    assert.deepEqual(out.payload, { properties: { a: 'x', b: 2.5, c: false }, title: null });
  });

  test('field: paths read directly; a missing source leaves the destination out', async () => {
    const c = profile([
      { destination: 'email', type: 'field', source: 'email_address' },
      { destination: 'location.city', type: 'field', source: 'addresses[is_primary_billing=true].city' },
      { destination: 'location.address1', type: 'field', source: 'addresses[0].address_1' },
      { destination: 'organization', type: 'field', source: 'company' },
    ]);
    const compiled = compileCollection(c);
    assert.equal(compiled.isSync, true);
    const outcome = compiled.map(customer);
    assert.ok(!(outcome instanceof Promise), 'Field-only collections answer without a promise');
    assert.deepEqual(outcome, {
      status: 'mapped',
      payload: { email: 'sarah@example.com', location: { city: 'New York' }, organization: 'Example Corp' },
      actions: [],
      warnings: [],
      children: [],
    });
  });

  test('dynamic formula: JSONata over the record, compiled once for many records', async () => {
    const c = compileCollection(profile([formula('properties.FullName', 'first_name & " " & last_name')]));
    assert.equal(c.isSync, false);
    const a = await c.map(customer);
    const b = await c.map({ first_name: 'Ann', last_name: 'Lee' });
    assert.deepEqual(a.status === 'mapped' && a.payload, { properties: { FullName: 'Sarah Mason' } });
    assert.deepEqual(b.status === 'mapped' && b.payload, { properties: { FullName: 'Ann Lee' } });
  });

  test('a formula returning an object fills a whole object; other mappings add to it in any order', async () => {
    const out = await mapped(
      profile([
        { destination: 'properties.Order Qty', type: 'static', value: 3 },
        formula('properties', '{"Name": first_name, "Cities": [addresses.city]}'),
        formula('location', '{"city": "Paris"}'),
        { destination: 'location.zip', type: 'static', value: '75001' },
      ]),
    );
    assert.deepEqual(out.payload, {
      properties: { 'Order Qty': 3, Name: 'Sarah', Cities: ['Boston', 'New York'] },
      location: { city: 'Paris', zip: '75001' },
    });
  });

  test('lookup translation: by path or formula, exact then case-insensitive, with a default', async () => {
    const table = { VIP: 'Gold', regular: 'Bronze' };
    const c = profile([
      {
        destination: 'properties.byPath',
        type: 'lookup_translation',
        source: 'status',
        table,
        default: 'None',
      },
      { destination: 'properties.loose', type: 'lookup_translation', formula: '"Regular"', table },
      {
        destination: 'properties.fallback',
        type: 'lookup_translation',
        source: 'company',
        table,
        default: 'None',
      },
      { destination: 'properties.noDefault', type: 'lookup_translation', source: 'company', table },
      {
        destination: 'properties.nullDefault',
        type: 'lookup_translation',
        source: 'company',
        table,
        default: null,
      },
    ]);
    const out = await mapped(c);
    assert.deepEqual(out.payload, {
      properties: { byPath: 'Gold', loose: 'Bronze', fallback: 'None', nullDefault: null },
    });
    assert.equal(compileCollection(profile([c.mappings[0]])).isSync, true);
  });
});

describe('formula helpers inside formulas', () => {
  test('$firstMatch with a text predicate, a JSONata function, and a richer text expression', async () => {
    const out = await mapped(
      profile([
        formula('properties.a', '$firstMatch(addresses, "is_primary_billing = true").city'),
        formula('properties.b', '$firstMatch(addresses, function($x) { $x.city = "Boston" }).phone_number'),
        formula(
          'properties.c',
          '$firstMatch(addresses, "country = \'US\' and is_primary_billing = false").city',
        ),
        formula('properties.d', '$firstMatch(addresses, "city = \'Nowhere\'")'),
      ]),
    );
    assert.deepEqual(out.payload, { properties: { a: 'New York', b: '617 555 0100', c: 'Boston' } });
  });

  test('$customField reads the record, or the record given ($parent in a child)', async () => {
    const out = await mapped(
      profile([
        formula('properties.tier', '$customField("Tier")'),
        formula('properties.p', '$customField("Tier", $parent)'),
      ]),
      customer,
      { parent: { custom_fields: [{ custom_field_name: 'Tier', value: 'Parent' }] } },
    );
    assert.deepEqual(out.payload, { properties: { tier: 'Gold', p: 'Parent' } });
  });

  test('$e164 normalizes with the record country or the subscription default, and warns when it cannot', async () => {
    const c = profile([
      formula(
        'phone_number',
        '($a := $firstMatch(addresses, "is_primary_billing = true"); $e164($a.phone_number, $a.country))',
      ),
      formula('properties.local', '$e164("617 555 0100")'),
      formula('properties.bad', '$e164("555", "US")'),
    ]);
    const out = await mapped(c);
    assert.deepEqual(out.payload, { phone_number: '+12125550147', properties: { local: '+16175550100' } });
    assert.equal(out.warnings.length, 1);
    assert.match(out.warnings[0], /'555' is not a valid phone number/);
  });

  test('$isEmpty, $coalesce, $truncate and the date helpers', async () => {
    const out = await mapped(
      profile([
        formula('properties.empty', '$isEmpty(comment)'),
        formula('properties.name', '$coalesce(nickname, "", first_name)'),
        formula('properties.short', '$truncate(company, 7)'),
        formula('properties.iso', '$toIso(created_datetime)'),
        formula('properties.day', '$formatDate(created_datetime, "yyyy-MM-dd")'),
        formula('properties.unix', '$toUnix(created_datetime)'),
        formula('properties.later', '$addDays(created_datetime, 1)'),
      ]),
    );
    assert.deepEqual(out.payload.properties, {
      empty: true,
      name: 'Sarah',
      short: 'Example',
      iso: '2026-06-20T10:00:00.000Z',
      day: '2026-06-20',
      unix: 1781949600,
      later: '2026-06-21T10:00:00.000Z',
    });
  });

  test('$subscription is readable by formulas and field paths', async () => {
    const out = await mapped(
      profile([
        formula('properties.sub', '$subscription.id'),
        { destination: 'properties.c', type: 'field', source: '$subscription.default_phone_country' },
      ]),
    );
    assert.deepEqual(out.payload, { properties: { sub: 'sub-1', c: 'US' } });
  });
});

describe('filters and failures', () => {
  test('a mapping filter returning false skips the record, naming the filter', async () => {
    const c = profile([{ destination: 'email', type: 'field', source: 'email_address' }], {
      mapping_filter: 'status = "inactive"',
    });
    const outcome = await compileCollection(c).map(customer);
    assert.equal(outcome.status, 'skipped');
    assert.match(
      outcome.status === 'skipped' ? outcome.reason : '',
      /mapping filter of collection 'Test profile': status = "inactive"/,
    );
    assert.equal((await compileCollection(c).map({ ...customer, status: 'inactive' })).status, 'mapped');
  });

  test('an error filter returning true fails the record with its message', async () => {
    const c = profile([], {
      error_filter: '$isEmpty(email_address)',
      error_message: 'A customer needs an email',
    });
    const error = await failed(c, { first_name: 'x' });
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'MAPPING_ERROR_FILTER');
    assert.equal(error.message, 'A customer needs an email');
    assert.equal((await compileCollection(c).map(customer)).status, 'mapped');
    const unnamed = await failed(profile([], { error_filter: 'true' }));
    assert.match(unnamed.message, /error filter of collection 'Test profile'/);
  });

  test('a filter answering something else than true/false fails with MAPPING_FILTER_NOT_BOOLEAN', async () => {
    const error = await failed(profile([], { mapping_filter: 'email_address' }));
    assert.equal(error.code, 'MAPPING_FILTER_NOT_BOOLEAN');
    assert.equal(error.field, 'mapping_filter');
  });

  test('a formula failing at run time fails the record with its mapping named', async () => {
    const error = await failed(
      profile([
        { destination: 'email', type: 'field', source: 'email_address' },
        formula('properties.x', '$toIso(company)'),
      ]),
    );
    assert.equal(error.code, 'MAPPING_FORMULA_FAILED');
    assert.equal(error.field, 'mappings[1].formula');
    assert.match(error.message, /Mapping 'properties.x'.*'Example Corp' is not a date/);
  });

  test('an Add profile with no identifier fails with MAPPING_REQUIRED_FIELD_MISSING', async () => {
    const c = profile([{ destination: 'first_name', type: 'field', source: 'first_name' }], {
      sync_type: 'add',
    });
    const error = await failed(c);
    assert.equal(error.code, 'MAPPING_REQUIRED_FIELD_MISSING');
    assert.equal((await compileCollection({ ...c, sync_type: 'update' }).map(customer)).status, 'mapped');
  });

  test('an event collection whose metric maps to nothing skips the record; properties default to {}', async () => {
    const c: CollectionTree = {
      name: 'Status event',
      type: 'transaction',
      direction: 'from_hub',
      sync_type: 'update',
      mappings: [
        {
          destination: 'metric',
          type: 'lookup_translation',
          source: 'status',
          table: { refunded: 'Refunded Order' },
          default: null,
        },
      ],
    };
    const skipped = await compileCollection(c).map({ status: 'pending' });
    assert.equal(skipped.status, 'skipped');
    const sent = await mapped(c, { status: 'Refunded' });
    assert.deepEqual(sent.payload, { metric: 'Refunded Order', properties: {} });
  });

  test('compiling a formula that does not parse throws MAPPING_FORMULA_INVALID with its field', () => {
    assert.throws(
      () => compileCollection(profile([formula('email', 'first_name &')])),
      (e: unknown) =>
        e instanceof AppError && e.code === 'MAPPING_FORMULA_INVALID' && e.field === 'mappings[0].formula',
    );
  });
});

describe('child collections', () => {
  const order = {
    id: 'T-1',
    email_address: 'a@example.com',
    lines: [
      { id: 'L-1', sku: 'A', qty: 2 },
      { sku: 'B', qty: 1 },
    ],
  };
  const line: CollectionTree = {
    name: 'Line',
    type: 'transaction_line',
    direction: 'from_hub',
    sync_type: 'add',
    mappings: [
      { destination: 'metric', type: 'static', value: 'Ordered Product' },
      formula('unique_id', '$parent.id & ":" & $coalesce(id, $itemIndex + 1)'),
      { destination: 'profile.email', type: 'field', source: '$parent.email_address' },
      { destination: 'properties.Order Qty', type: 'field', source: 'qty' },
    ],
  };
  const parent: CollectionTree = {
    id: 'col-1',
    name: 'Order',
    type: 'transaction',
    direction: 'from_hub',
    sync_type: 'add',
    mappings: [{ destination: 'metric', type: 'static', value: 'Placed Order' }],
    children: [
      { ...line, id: 'col-2' },
      { ...line, name: 'Disabled', enabled: false },
    ],
  };

  test('run once per child item with $parent and $itemIndex; disabled children do not run', async () => {
    const out = await mapped(parent, order);
    assert.equal(out.children.length, 1);
    const [child] = out.children;
    assert.equal(child.collection_id, 'col-2');
    assert.deepEqual(
      child.items.map((i) => i.status === 'mapped' && i.payload),
      [
        {
          metric: 'Ordered Product',
          unique_id: 'T-1:L-1',
          profile: { email: 'a@example.com' },
          properties: { 'Order Qty': 2 },
        },
        {
          metric: 'Ordered Product',
          unique_id: 'T-1:2',
          profile: { email: 'a@example.com' },
          properties: { 'Order Qty': 1 },
        },
      ],
    );
  });

  test('a parent with no child items maps with an empty child list', async () => {
    const out = await mapped(parent, { id: 'T-2' });
    assert.deepEqual(out.children[0].items, []);
  });
});

describe('custom fields', () => {
  test('SubscribeProfile, LIST_, UCLIST_, custom_fields.<name> and declared names become actions, not payload', async () => {
    const c = profile([
      { destination: 'email', type: 'field', source: 'email_address' },
      formula('SubscribeProfile', '$customField("Newsletter")'),
      { destination: 'LIST_VIP Customers', type: 'static', value: true },
      { destination: 'UCLIST_Old.List', type: 'static', value: 'false' },
      { destination: 'LIST_Empty', type: 'static', value: '' },
      { destination: 'custom_fields.Tier', type: 'field', source: 'status' },
      { destination: 'Loyalty', type: 'static', value: 7 },
    ]);
    const compiled = compileCollection(c, { subscription: { id: 's', custom_fields: ['Loyalty'] } });
    const out = await compiled.map(customer);
    assert.equal(out.status, 'mapped');
    if (out.status !== 'mapped') return;
    assert.deepEqual(out.payload, { email: 'sarah@example.com' });
    assert.deepEqual(out.actions, [
      { kind: 'subscribe_profile', field: 'SubscribeProfile', subscribe: true },
      { kind: 'list_subscription', field: 'LIST_VIP Customers', list: 'VIP Customers', subscribe: true },
      { kind: 'list_membership', field: 'UCLIST_Old.List', list: 'Old.List', member: false },
      { kind: 'custom_property', field: 'custom_fields.Tier', name: 'Tier', value: 'VIP' },
      { kind: 'custom_property', field: 'Loyalty', name: 'Loyalty', value: 7 },
    ]);
  });

  test('a custom-field value that is not a yes/no fails the record naming the field', async () => {
    const error = await failed(
      profile([{ destination: 'SubscribeProfile', type: 'static', value: 'maybe' }]),
    );
    assert.equal(error.field, 'mappings[0].destination');
    assert.match(error.message, /SubscribeProfile' must be true or false/);
  });

  test('TO hub, custom_fields.<name> destinations become the hub record custom_fields list', async () => {
    const c: CollectionTree = {
      name: 'Profile to customer',
      type: 'customer',
      direction: 'to_hub',
      sync_type: 'add',
      mappings: [
        { destination: 'email_address', type: 'field', source: 'email' },
        {
          destination: 'custom_fields.Consent',
          type: 'field',
          source: 'subscriptions.email.marketing.consent',
        },
        { destination: 'custom_fields.Missing', type: 'field', source: 'nothing' },
      ],
    };
    const out = await mapped(c, {
      email: 'a@example.com',
      subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } },
    });
    assert.deepEqual(out.payload, {
      email_address: 'a@example.com',
      custom_fields: [{ custom_field_name: 'Consent', value: 'SUBSCRIBED' }],
    });
  });
});
