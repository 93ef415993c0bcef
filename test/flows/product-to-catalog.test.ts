import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DefaultCollection } from '../../src/mapping/default-collections.ts';
import { startFlowEnv } from './helpers.ts';

const common = {
  collision_handling: 'error',
  enabled: true,
  mapping_filter: null,
  error_filter: null,
} as const;
const PRODUCT_COLLECTIONS: DefaultCollection[] = [
  {
    ...common,
    key: 'product',
    name: 'Klaviyo Catalog Item FROM hub',
    type: 'product',
    direction: 'from_hub',
    sync_type: 'add_and_update',
    sort_order: 70,
    mappings: [
      { destination: 'title', type: 'field', source: 'name' },
      { destination: 'url', type: 'field', source: 'url' },
      { destination: 'custom_metadata.Brand', type: 'static', value: 'Acme' },
    ],
  },
  {
    ...common,
    key: 'variant',
    parent_key: 'product',
    name: 'Klaviyo Catalog Variant FROM hub',
    type: 'product_variant',
    direction: 'from_hub',
    sync_type: 'add_and_update',
    sort_order: 71,
    mappings: [{ destination: 'sku', type: 'field', source: 'sku' }],
  },
];

function product(i: number, extra: Record<string, unknown> = {}) {
  return {
    id: `p${i}`,
    sku: `SKU${i}`,
    name: `Product ${i}`,
    description: `The product number ${i}`,
    url: `https://shop.example.com/p/${i}`,
    default_price: 10 + i,
    variants: [
      { id: 'v1', sku: `SKU${i}-S`, name: 'Small', inventory_quantity: 5 },
      { id: 'v2', sku: `SKU${i}-L`, name: 'Large', inventory_quantity: 0, default_price: 12 + i },
    ],
    ...extra,
  };
}

for (const [label, bulkThreshold] of [
  ['one by one', 1000],
  ['in bulk jobs', 2],
] as const) {
  test(`products become catalog items with their variants, ${label}; a second sync updates them`, async () => {
    const env = await startFlowEnv({
      extraCollections: PRODUCT_COLLECTIONS,
      scopes: ['product/created', 'product/updated'],
      bulkThreshold,
    });
    try {
      await env.hub.upsertMany('product', [product(1), product(2), product(3, { url: null })]);
      await env.drain();
      const transfers = await env.transfers();
      const byRecord = Object.fromEntries(transfers.map((t) => [t.record_id, t]));
      assert.equal(byRecord.p1.state, 'succeeded', byRecord.p1.error_message ?? '');
      assert.equal(byRecord.p2.state, 'succeeded');
      assert.equal(byRecord.p3.state, 'failed');
      assert.match(byRecord.p3.error_message ?? '', /product URL/);
      const item = env.account.catalogItems.get('$custom:::$default:::SKU1');
      assert.ok(item, 'the item exists under its compound id');
      assert.equal(item.attributes.title, 'Product 1');
      assert.equal(item.attributes.price, 11);
      const variant = env.account.catalogVariants.get('$custom:::$default:::SKU1-L');
      assert.equal(variant?.itemId, '$custom:::$default:::SKU1');
      assert.equal(variant?.attributes.price, 13);
      assert.equal(env.account.catalogVariants.size, 4);
      assert.equal(await env.engine.links.klaviyoIdOf('sub-1', 'product', 'p1'), '$custom:::$default:::SKU1');
      const counts = env.sandbox.state.requestCounts;
      const bulkJobs = counts.get('bulk_create_catalog_items')?.count ?? 0;
      const singles = counts.get('create_catalog_item')?.count ?? 0;
      if (bulkThreshold === 2)
        assert.ok(bulkJobs >= 1 && singles === 0, `bulk ${bulkJobs}, single ${singles}`);
      else assert.ok(bulkJobs === 0 && singles === 2, `bulk ${bulkJobs}, single ${singles}`);

      await env.hub.upsertMany('product', [product(1, { name: 'Renamed' }), product(2)]);
      await env.drain();
      assert.equal(env.account.catalogItems.get('$custom:::$default:::SKU1')?.attributes.title, 'Renamed');
      assert.equal(env.account.catalogItems.size, 2);
    } finally {
      await env.close();
    }
  });
}
