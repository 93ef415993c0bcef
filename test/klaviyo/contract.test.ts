import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { createKlaviyoClient, ENDPOINTS, type KlaviyoClient } from '../../src/klaviyo/index.ts';
import { openApiNullable } from '../helpers/openapi.ts';
import { json, type Recorded, startServer } from './helpers.ts';
import { sharedFile } from './shared-spec.ts';

// Every request the client builds must be one Klaviyo's OpenAPI document accepts: the body against the
// operation's request schema, the query against its declared parameters.

const spec = sharedFile('stable.json');
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
}

function pointerEscape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

const operationOf = (req: Recorded): string => {
  const path = new URL(req.url, 'http://x').pathname;
  for (const e of ENDPOINTS.values()) {
    const pattern = new RegExp(`^${e.path.replace(/\{\w+\}/g, '[^/]+')}$`);
    if (e.method === req.method && pattern.test(path)) return e.operationId;
  }
  throw new Error(`no operation for ${req.method} ${path}`);
};

describe('contract: requests validate against Klaviyo’s OpenAPI', { skip: spec.skipReason }, () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: KlaviyoClient;
  let ajv: Ajv;
  let doc: { paths: Record<string, Record<string, Operation>> };
  const validators = new Map<string, ValidateFunction>();

  before(async () => {
    doc = openApiNullable(JSON.parse(spec.text ?? '{}')) as typeof doc;
    // OpenAPI 3.0 schemas: `nullable` is understood by Ajv; x-* and example keywords are ignored.
    ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(doc, 'klaviyo-openapi');
    server = await startServer((req, res) => {
      if (req.method === 'DELETE') return json(res, 204, undefined);
      // One resource (a profile, a job) is answered as one, with a job status the client checks.
      if (req.method === 'GET' && /\/(profiles|[a-z-]+-jobs)\/[^/?]+\/?(\?|$)/.test(req.url)) {
        return json(res, 200, { data: { type: 'x', id: 'X1', attributes: { status: 'complete' } } });
      }
      if (req.method === 'GET') {
        return json(res, 200, {
          data: [{ type: 'x', id: 'X1', attributes: { name: 'VIP' } }],
          links: { self: '' },
        });
      }
      json(res, 200, { data: { type: 'x', id: 'X1', attributes: {} } });
    });
    client = createKlaviyoClient({
      baseUrl: server.baseUrl,
      auth: { kind: 'api_key', apiKey: 'pk_contract' },
      budgetKey: 'contract',
      budgets: false,
    });
  });
  after(() => server.close());

  function check(req: Recorded): void {
    const operationId = operationOf(req);
    const endpointSpec = ENDPOINTS.get(operationId)!;
    const operation = doc.paths[endpointSpec.path]?.[endpointSpec.method.toLowerCase()];
    assert.ok(operation, `${endpointSpec.method} ${endpointSpec.path} is in the spec`);
    const declared = new Set((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
    for (const key of new URL(req.url, 'http://x').searchParams.keys()) {
      assert.ok(declared.has(key), `${operationId}: query parameter ${key} is not declared`);
    }
    const content = operation.requestBody?.content?.['application/vnd.api+json'];
    if (!content) {
      assert.equal(req.body, '', `${operationId} takes no body`);
      return;
    }
    assert.equal(req.headers['content-type'], 'application/vnd.api+json');
    let validate = validators.get(operationId);
    if (!validate) {
      const ref = `klaviyo-openapi#/paths/${pointerEscape(endpointSpec.path)}/${endpointSpec.method.toLowerCase()}/requestBody/content/${pointerEscape('application/vnd.api+json')}/schema`;
      validate = ajv.compile({ $ref: ref });
      validators.set(operationId, validate);
    }
    const body = JSON.parse(req.body);
    const ok = validate(body);
    assert.ok(ok, `${operationId}: ${ajv.errorsText(validate.errors)}\n${req.body.slice(0, 800)}`);
  }

  const cases: Array<[string, (c: KlaviyoClient) => Promise<unknown>]> = [
    ['accounts.get', (c) => c.accounts.get()],
    ['profiles.get', (c) => c.profiles.get('P1', { fields: ['email'], additionalFields: ['subscriptions'] })],
    [
      'profiles.list',
      (c) =>
        c.profiles.list({
          filter: 'equals(email,"a@b.com")',
          sort: '-updated',
          pageSize: 50,
          fields: ['email'],
        }),
    ],
    [
      'profiles.create',
      (c) =>
        c.profiles.create({
          email: 'a@example.com',
          phone_number: '+15005550006',
          first_name: 'Ada',
          location: { city: 'Boston', country: 'US' },
          properties: { tier: 'gold' },
        }),
    ],
    [
      'profiles.update',
      (c) =>
        c.profiles.update(
          'P1',
          { first_name: null, last_name: 'Lovelace' },
          { patch_properties: { unset: 'x' } },
        ),
    ],
    [
      'profiles.importProfile',
      (c) =>
        c.profiles.importProfile({
          attributes: { email: 'a@example.com', external_id: 'C-1', properties: {} },
        }),
    ],
    [
      'bulkImport.create',
      (c) =>
        c.bulkImport.create(
          [{ attributes: { email: 'a@example.com' } }, { id: 'P2', attributes: { first_name: 'B' } }],
          { listIds: ['L1'] },
        ),
    ],
    ['bulkImport.get', (c) => c.bulkImport.get('J1')],
    ['bulkImport.importErrors', (c) => c.bulkImport.importErrors('J1', { pageSize: 100 })],
    ['bulkImport.iterateImportedProfiles', (c) => c.bulkImport.iterateImportedProfiles('J1').next()],
    [
      'subscriptions.subscribe',
      (c) =>
        c.subscriptions.subscribe(
          [
            {
              email: 'a@example.com',
              phone_number: '+15005550006',
              subscriptions: {
                email: { marketing: { consent: 'SUBSCRIBED', consented_at: '2026-01-01T00:00:00Z' } },
                sms: { marketing: { consent: 'SUBSCRIBED', consented_at: '2026-01-01T00:00:00Z' } },
              },
            },
          ],
          { listId: 'L1', customSource: 'klaviyo-sync', historicalImport: true },
        ),
    ],
    [
      'subscriptions.unsubscribe',
      (c) =>
        c.subscriptions.unsubscribe(
          [{ email: 'a@example.com', subscriptions: { email: { marketing: { consent: 'UNSUBSCRIBED' } } } }],
          { listId: 'L1' },
        ),
    ],
    ['lists.list', (c) => c.lists.list({ filter: "equals(name,['VIP'])", sort: 'name' })],
    ['lists.findByName', (c) => c.lists.findByName("O'Brien VIP")],
    ['lists.create', (c) => c.lists.create('VIP', { optInProcess: 'single_opt_in' })],
    ['lists.addMembers', (c) => c.lists.addMembers('L1', ['P1', 'P2'])],
    ['lists.removeMembers', (c) => c.lists.removeMembers('L1', ['P1'])],
    ['lists.forProfile', (c) => c.lists.forProfile('P1')],
    [
      'events.create',
      (c) =>
        c.events.create({
          metric: 'Placed Order',
          properties: { OrderId: 'O-1', Items: [{ SKU: 'S1' }] },
          time: '2026-07-01T10:00:00Z',
          value: 9.99,
          valueCurrency: 'USD',
          uniqueId: 'O-1',
          profile: { attributes: { email: 'a@example.com' } },
        }),
    ],
    [
      'events.bulkCreate',
      (c) =>
        c.events.bulkCreate([
          {
            profile: { attributes: { email: 'a@example.com' } },
            events: [
              { metric: 'Placed Order', properties: { OrderId: 'O-1' }, uniqueId: 'O-1', value: 5 },
              { metric: 'Ordered Product', properties: { SKU: 'S1' }, uniqueId: 'O-1:1', backfill: true },
            ],
          },
        ]),
    ],
    ['metrics.list', (c) => c.metrics.list({ filter: "equals(integration.name,'API')" })],
    [
      'catalog.createItem',
      (c) =>
        c.catalog.createItem({
          external_id: 'SKU-1',
          title: 'Shirt',
          description: 'Blue',
          url: 'https://shop.example/shirt',
          price: 20,
          custom_metadata: { brand: 'X' },
        }),
    ],
    [
      'catalog.updateItem',
      (c) => c.catalog.updateItem('$custom:::$default:::SKU-1', { title: 'Shirt 2', price: 25 }),
    ],
    ['catalog.deleteItem', (c) => c.catalog.deleteItem('$custom:::$default:::SKU-1')],
    [
      'catalog.createVariant',
      (c) =>
        c.catalog.createVariant('$custom:::$default:::SKU-1', {
          external_id: 'SKU-1-M',
          title: 'Shirt M',
          description: 'Blue M',
          sku: 'SKU-1-M',
          inventory_quantity: 3,
          inventory_policy: 1,
          price: 20,
          url: 'https://shop.example/shirt?m',
        }),
    ],
    [
      'catalog.updateVariant',
      (c) => c.catalog.updateVariant('$custom:::$default:::SKU-1-M', { inventory_quantity: 0 }),
    ],
    ['catalog.deleteVariant', (c) => c.catalog.deleteVariant('$custom:::$default:::SKU-1-M')],
    [
      'catalog.bulkCreateItems',
      (c) =>
        c.catalog.bulkCreateItems([{ external_id: 'A', title: 'A', description: 'a', url: 'https://s/a' }]),
    ],
    [
      'catalog.bulkUpdateItems',
      (c) => c.catalog.bulkUpdateItems([{ id: '$custom:::$default:::A', attributes: { title: 'A2' } }]),
    ],
    ['catalog.bulkDeleteItems', (c) => c.catalog.bulkDeleteItems(['$custom:::$default:::A'])],
    [
      'catalog.bulkCreateVariants',
      (c) =>
        c.catalog.bulkCreateVariants([
          {
            itemId: '$custom:::$default:::A',
            attributes: {
              external_id: 'A-1',
              title: 'A1',
              description: 'a1',
              sku: 'A-1',
              inventory_quantity: 1,
              price: 1,
              url: 'https://s/a1',
            },
          },
        ]),
    ],
    [
      'catalog.bulkUpdateVariants',
      (c) => c.catalog.bulkUpdateVariants([{ id: '$custom:::$default:::A-1', attributes: { price: 2 } }]),
    ],
    ['catalog.bulkDeleteVariants', (c) => c.catalog.bulkDeleteVariants(['$custom:::$default:::A-1'])],
    ['catalog.getJob item create', (c) => c.catalog.getJob('item', 'create', 'J1')],
    ['catalog.getJob variant delete', (c) => c.catalog.getJob('variant', 'delete', 'J2')],
    ['dataPrivacy.requestDeletion email', (c) => c.dataPrivacy.requestDeletion({ email: 'a@example.com' })],
    [
      'dataPrivacy.requestDeletion phone',
      (c) => c.dataPrivacy.requestDeletion({ phoneNumber: '+15005550006' }),
    ],
    ['dataPrivacy.requestDeletion id', (c) => c.dataPrivacy.requestDeletion({ id: 'P1' })],
  ];

  for (const [name, run] of cases) {
    test(name, async () => {
      const before = server.requests.length;
      await run(client);
      const sent = server.requests.slice(before);
      assert.ok(sent.length > 0, `${name} sent a request`);
      for (const req of sent) check(req);
    });
  }

  test('every operation in the endpoint table is exercised above', () => {
    const used = new Set(server.requests.map(operationOf));
    const missing = [...ENDPOINTS.keys()].filter((op) => !used.has(op) && !op.startsWith('get_bulk_'));
    assert.deepEqual(missing, []);
  });
});
