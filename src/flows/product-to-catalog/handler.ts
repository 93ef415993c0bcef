// Product → Klaviyo catalog (SPEC S5.5, beyond iPaaS.com). A product becomes a catalog item
// (`$custom:::$default:::<external id>`, the SKU unless mapped otherwise) and each variant a catalog variant
// of it. Items go first, then the variants of the items that made it; each product's transfer takes the
// outcome of its item and variants together. Links: `product` → item id, `product_variant` → variant id.
import type { Product, ProductVariant } from '../../domain/hub.ts';
import { catalogId } from '../../klaviyo/index.ts';
import { FROM_HUB_FLOW } from '../../transfer/flows.ts';
import type { Link } from '../../transfer/links.ts';
import type { FlowContext, FlowHandler, Outcome, StepInput, Transfer } from '../../transfer/types.ts';
import {
  clientForBatch,
  groupByRecord,
  leaveAbortFailuresToQueue,
  settingsForBatch,
  missingRecordReason,
} from '../shared/batch-handling.ts';
import { chooseSendMode } from '../shared/batcher.ts';
import { type CatalogWrite, writeCatalog } from './catalog-writer.ts';
import { DEFAULT_BULK_THRESHOLD, type FlowDeps, pickCollection } from '../shared/flow-deps.ts';
import { outcomeForError } from '../shared/outcomes.ts';

const PRODUCT_TABLE = 'product';
const VARIANT_TABLE = 'product_variant';

interface Entry {
  transfers: Transfer[];
  product: Product;
  item?: CatalogWrite;
  variants: { key: string; write: CatalogWrite }[];
  failure?: Outcome;
  collectionId?: string;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim()) return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function numberOr(value: unknown, fallback: number | undefined): number | undefined {
  const n = typeof value === 'string' && value.trim() ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback;
}

export function createProductToCatalogHandler(deps: FlowDeps): FlowHandler {
  const threshold = deps.bulkThreshold ?? DEFAULT_BULK_THRESHOLD;
  return {
    flow: FROM_HUB_FLOW.product,
    direction: 'from_hub',
    maxBatch: 500,
    async handle(batch: Transfer[], ctx: FlowContext): Promise<Map<string, Outcome>> {
      const outcomes = new Map<string, Outcome>();
      const client = await clientForBatch(deps, ctx, batch, outcomes);
      if (!client) return outcomes;
      const { collections, mappingContext } = await settingsForBatch(deps, ctx);
      const step = (entry: Entry, input: StepInput) => {
        for (const transfer of entry.transfers) ctx.step(transfer.id, input);
      };
      const ids = [...new Set(batch.map((t) => t.record_id))];
      const products = (await deps.hub.getMany('product', ids)) as Map<string, Product>;
      const itemLinks = await deps.links.klaviyoIdsOf(ctx.subscriptionId, PRODUCT_TABLE, ids);
      const entries = groupByRecord<Product, Entry>(
        batch,
        products,
        outcomes,
        await missingRecordReason(
          deps.hub,
          'product',
          ids,
          products,
          'The product no longer exists in the hub; catalog items are not deleted.',
        ),
        (transfer, product) => ({ transfers: [transfer], product, variants: [] }),
      );
      const variantKeys = [...entries.values()].flatMap((e) =>
        (e.product.variants ?? []).map((v, i) => `${e.product.id}:${v.id ?? v.sku ?? i + 1}`),
      );
      const variantLinks = await deps.links.klaviyoIdsOf(ctx.subscriptionId, VARIANT_TABLE, variantKeys);

      for (const entry of entries.values()) {
        const { product } = entry;
        const linked = itemLinks.has(product.id);
        const collection = pickCollection(collections, 'product', 'from_hub', linked ? 'update' : 'add');
        if (!collection) {
          entry.failure = {
            status: 'skipped',
            reason: `The subscription has no enabled ${linked ? 'Update' : 'Add'} Product FROM hub collection.`,
          };
          continue;
        }
        entry.collectionId = collection.id;
        const mapped = await collection.mapAsync(product, mappingContext);
        for (const warning of mapped.warnings)
          step(entry, { kind: 'warning', level: 'warn', message: warning });
        if (mapped.status !== 'mapped') {
          entry.failure =
            mapped.status === 'skipped'
              ? { status: 'skipped', reason: mapped.reason, collection_id: collection.id }
              : ({
                  ...outcomeForError(mapped.error, `mapping collection '${collection.name}'`),
                  collection_id: collection.id,
                } as Outcome);
          continue;
        }
        const p = mapped.payload;
        const externalId = text(p.external_id) ?? text(product.sku) ?? product.id;
        const title = text(p.title) ?? text(product.name) ?? externalId;
        const description = text(p.description) ?? text(product.description) ?? title;
        const url = text(p.url) ?? text(product.url);
        if (!url && !linked) {
          entry.failure = {
            status: 'failed',
            code: 'MAPPING_REQUIRED_FIELD_MISSING',
            message: `Klaviyo needs a product URL for catalog item '${externalId}'. Give the product a url or map one in '${collection.name}'.`,
            retryable: false,
            collection_id: collection.id,
          };
          continue;
        }
        const price = numberOr(
          p.price,
          numberOr(product.sale_price, numberOr(product.default_price, undefined)),
        );
        const { external_id: _e, ...rest } = p;
        entry.item = {
          kind: 'item',
          externalId,
          exists: linked,
          attributes: {
            ...rest,
            title,
            description,
            url,
            price,
            image_full_url: text(p.image_full_url) ?? text(product.image_url),
          },
        };
        const variantOutcomes = mapped.children.flatMap((child) => child.items);
        (product.variants ?? []).forEach((variant: ProductVariant, index) => {
          const outcome = variantOutcomes[index];
          if (outcome && outcome.status === 'failed') {
            entry.failure ??= {
              ...outcomeForError(outcome.error, 'mapping a product variant'),
              collection_id: collection.id,
            } as Outcome;
            return;
          }
          if (outcome && outcome.status === 'skipped') return;
          const v = outcome?.status === 'mapped' ? outcome.payload : {};
          const key = `${product.id}:${variant.id ?? variant.sku ?? index + 1}`;
          const variantExternal = text(v.external_id) ?? text(variant.sku) ?? `${externalId}-${index + 1}`;
          const { external_id: _x, ...vRest } = v;
          entry.variants.push({
            key,
            write: {
              kind: 'variant',
              externalId: variantExternal,
              itemId: catalogId(externalId),
              exists: variantLinks.has(key),
              attributes: {
                ...vRest,
                title: text(v.title) ?? text(variant.name) ?? title,
                description: text(v.description) ?? text(variant.description) ?? description,
                sku: text(v.sku) ?? text(variant.sku) ?? variantExternal,
                price: numberOr(
                  v.price,
                  numberOr(variant.sale_price, numberOr(variant.default_price, price)),
                ),
                inventory_quantity: numberOr(v.inventory_quantity, numberOr(variant.inventory_quantity, 0)),
                url: text(v.url) ?? text(variant.url) ?? url,
              },
            },
          });
        });
      }

      const ready = [...entries.values()].filter((e) => !e.failure && e.item);
      const bulk = chooseSendMode(Math.max(ctx.backlog, ready.length), threshold) === 'bulk';
      const itemResults = await writeCatalog(
        client,
        ready.map((e) => e.item!),
        { bulk, jobPollMs: deps.jobPollMs },
      );
      const withItem = ready.filter((entry, i) => {
        const result = itemResults[i];
        if (!result.ok)
          entry.failure = {
            ...outcomeForError(result.error, `writing catalog item '${entry.item!.externalId}'`),
            collection_id: entry.collectionId,
          } as Outcome;
        return result.ok;
      });
      const variantWrites = withItem.flatMap((entry) => entry.variants.map((v) => ({ entry, ...v })));
      const variantResults = await writeCatalog(
        client,
        variantWrites.map((v) => v.write),
        { bulk, jobPollMs: deps.jobPollMs },
      );
      const links: Link[] = [];
      variantResults.forEach((result, i) => {
        const { entry, key, write } = variantWrites[i];
        if (!result.ok) {
          entry.failure ??= {
            ...outcomeForError(result.error, `writing catalog variant '${write.externalId}'`),
            collection_id: entry.collectionId,
          } as Outcome;
        } else if (!write.exists) {
          links.push({
            subscription_id: ctx.subscriptionId,
            table_name: VARIANT_TABLE,
            hub_id: key,
            klaviyo_id: result.value.id,
          });
        }
      });
      for (const entry of withItem) {
        if (!entry.item!.exists) {
          links.push({
            subscription_id: ctx.subscriptionId,
            table_name: PRODUCT_TABLE,
            hub_id: entry.product.id,
            klaviyo_id: catalogId(entry.item!.externalId),
          });
        }
      }
      if (links.length > 0) await deps.links.set(links, ctx.db);
      for (const entry of entries.values()) {
        if (!entry.failure) {
          step(entry, {
            kind: 'response',
            message: `Catalog item ${catalogId(entry.item!.externalId)} and ${entry.variants.length} variant(s) written (${bulk ? 'bulk jobs' : 'single calls'})`,
          });
        }
        const outcome: Outcome = entry.failure ?? { status: 'succeeded', collection_id: entry.collectionId };
        for (const transfer of entry.transfers) outcomes.set(transfer.id, outcome);
      }
      leaveAbortFailuresToQueue(outcomes, ctx.signal);
      return outcomes;
    },
  };
}
