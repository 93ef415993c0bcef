import type { KlaviyoResource } from '../pagination.ts';
import type { KlaviyoTransport } from '../transport.ts';
import { type Attributes, checkBatch, defined, job, newJob, single } from './shared.ts';

export interface CatalogItemAttributes extends Attributes {
  external_id?: string;
  title?: string;
  description?: string;
  url?: string;
  price?: number;
  image_full_url?: string;
  image_thumbnail_url?: string;
  images?: string[];
  custom_metadata?: Attributes;
  published?: boolean;
}

export interface CatalogVariantAttributes extends CatalogItemAttributes {
  sku?: string;
  inventory_quantity?: number;
  inventory_policy?: 0 | 1 | 2;
}

export interface CatalogJobAttributes extends Attributes {
  status?: 'queued' | 'processing' | 'complete' | 'cancelled';
  total_count?: number;
  completed_count?: number;
  failed_count?: number;
  errors?: unknown[];
}

/** Klaviyo's compound catalog id; only the custom integration and default catalog exist today. */
export function catalogId(externalId: string): string {
  return `$custom:::$default:::${externalId}`;
}

const CUSTOM = { integration_type: '$custom', catalog_type: '$default' } as const;

export function itemCreateData(attributes: CatalogItemAttributes) {
  return { type: 'catalog-item', attributes: defined({ ...CUSTOM, ...attributes }) };
}

export function itemUpdateData(id: string, attributes: CatalogItemAttributes) {
  const { external_id: _ignored, ...rest } = attributes;
  return { type: 'catalog-item', id, attributes: defined(rest) };
}

export function variantCreateData(itemId: string, attributes: CatalogVariantAttributes) {
  return {
    type: 'catalog-variant',
    attributes: defined({ ...CUSTOM, ...attributes }),
    relationships: { item: { data: { type: 'catalog-item', id: itemId } } },
  };
}

export function variantUpdateData(id: string, attributes: CatalogVariantAttributes) {
  const { external_id: _ignored, ...rest } = attributes;
  return { type: 'catalog-variant', id, attributes: defined(rest) };
}

type Kind = 'item' | 'variant';
type Action = 'create' | 'update' | 'delete';

const BULK_OP: Record<Kind, string> = { item: 'catalog_items', variant: 'catalog_variants' };
const STATUS_OP: Record<Kind, string> = { item: 'catalog_items', variant: 'variants' };
const MEMBER: Record<Kind, string> = { item: 'items', variant: 'variants' };

export function bulkJobBody(kind: Kind, action: Action, data: readonly unknown[]) {
  return {
    data: {
      type: `catalog-${kind}-bulk-${action}-job`,
      attributes: { [MEMBER[kind]]: { data } },
    },
  };
}

export function catalogResource(transport: KlaviyoTransport) {
  async function bulk(kind: Kind, action: Action, data: readonly unknown[]) {
    const op = `bulk_${action}_${BULK_OP[kind]}`;
    checkBatch(op, data.length);
    const answer = await transport.call(op, { body: bulkJobBody(kind, action, data) });
    return newJob<CatalogJobAttributes>(answer);
  }
  async function jobStatus(kind: Kind, action: Action, jobId: string) {
    const op = `get_bulk_${action}_${STATUS_OP[kind]}_job`;
    const answer = await transport.call(op, { pathParams: { job_id: jobId } });
    return job<CatalogJobAttributes>(answer);
  }
  type Resource<A> = Promise<KlaviyoResource<A>>;
  return {
    async createItem(attributes: CatalogItemAttributes): Resource<CatalogItemAttributes> {
      const answer = await transport.call('create_catalog_item', {
        body: { data: itemCreateData(attributes) },
      });
      return single<CatalogItemAttributes>(answer);
    },
    async updateItem(id: string, attributes: CatalogItemAttributes): Resource<CatalogItemAttributes> {
      const answer = await transport.call('update_catalog_item', {
        pathParams: { id },
        body: { data: itemUpdateData(id, attributes) },
      });
      return single<CatalogItemAttributes>(answer);
    },
    async deleteItem(id: string): Promise<void> {
      await transport.call('delete_catalog_item', { pathParams: { id } });
    },
    async createVariant(
      itemId: string,
      attributes: CatalogVariantAttributes,
    ): Resource<CatalogVariantAttributes> {
      const answer = await transport.call('create_catalog_variant', {
        body: { data: variantCreateData(itemId, attributes) },
      });
      return single<CatalogVariantAttributes>(answer);
    },
    async updateVariant(
      id: string,
      attributes: CatalogVariantAttributes,
    ): Resource<CatalogVariantAttributes> {
      const answer = await transport.call('update_catalog_variant', {
        pathParams: { id },
        body: { data: variantUpdateData(id, attributes) },
      });
      return single<CatalogVariantAttributes>(answer);
    },
    async deleteVariant(id: string): Promise<void> {
      await transport.call('delete_catalog_variant', { pathParams: { id } });
    },
    /** Bulk jobs: up to 100 resources each, at most 500 jobs in progress per account. */
    bulkCreateItems: (items: readonly CatalogItemAttributes[]) =>
      bulk('item', 'create', items.map(itemCreateData)),
    bulkUpdateItems: (items: readonly { id: string; attributes: CatalogItemAttributes }[]) =>
      bulk(
        'item',
        'update',
        items.map((i) => itemUpdateData(i.id, i.attributes)),
      ),
    bulkDeleteItems: (ids: readonly string[]) =>
      bulk(
        'item',
        'delete',
        ids.map((id) => ({ type: 'catalog-item', id })),
      ),
    bulkCreateVariants: (variants: readonly { itemId: string; attributes: CatalogVariantAttributes }[]) =>
      bulk(
        'variant',
        'create',
        variants.map((v) => variantCreateData(v.itemId, v.attributes)),
      ),
    bulkUpdateVariants: (variants: readonly { id: string; attributes: CatalogVariantAttributes }[]) =>
      bulk(
        'variant',
        'update',
        variants.map((v) => variantUpdateData(v.id, v.attributes)),
      ),
    bulkDeleteVariants: (ids: readonly string[]) =>
      bulk(
        'variant',
        'delete',
        ids.map((id) => ({ type: 'catalog-variant', id })),
      ),
    /** Status of a bulk job: queued, processing, complete or cancelled, with counts and errors. */
    getJob: (kind: Kind, action: Action, jobId: string) => jobStatus(kind, action, jobId),
  };
}
