// POST /api/v1/subscriptions/:id/dry-run: what a sync of a collection would do to a sample, a list of ids
// or all of the hub's records of its kind, without sending anything (dry-run.ts, docs/api.md).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { loadFlowSubscription } from '../flows/shared/flow-deps.ts';
import { parseOr400 } from '../hub/routes.ts';
import { loadCompiledCollections } from '../mapping/store.ts';
import type { ServiceContext } from '../service/context.ts';
import { requireSubscription } from '../subscriptions/lookup.ts';
import { dryRun } from './dry-run.ts';

/** As many ids as a manual sync takes at once. */
export const DRY_RUN_MAX_IDS = 3000;
export const DRY_RUN_MAX_SAMPLE = 1000;

const DryRunBody = z
  .strictObject({
    collection_id: z.string().min(1).max(100),
    ids: z.array(z.string().trim().min(1).max(200)).min(1).max(DRY_RUN_MAX_IDS).optional(),
    sample: z.number().int().min(1).max(DRY_RUN_MAX_SAMPLE).optional(),
    all: z.boolean().optional(),
    /** false: stored links only, no Klaviyo call at all. */
    lookups: z.boolean().default(true),
  })
  .refine((b) => [b.ids, b.sample, b.all || undefined].filter((v) => v !== undefined).length <= 1, {
    message: 'give one of ids, sample or all',
    path: ['ids'],
  });

export function registerDryRunRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post('/api/v1/subscriptions/:id/dry-run', async (req) => {
    const { id } = parseOr400(z.object({ id: z.string().min(1).max(100) }), req.params);
    const body = parseOr400(DryRunBody, req.body ?? {});
    await requireSubscription(ctx, id);
    if (!ctx.hub || !ctx.transfers) throw new Error('the dry run needs the hub and the transfer engine');
    const collections = await loadCompiledCollections(ctx.store.db, id);
    const collection = collections.find((c) => c.id === body.collection_id);
    if (!collection?.id) {
      throw new AppError(
        'NOT_FOUND',
        `Subscription '${id}' has no enabled top-level collection '${body.collection_id}'.`,
        { field: 'collection_id' },
      );
    }
    if (
      collection.direction !== 'from_hub' ||
      !['customer', 'transaction', 'product'].includes(collection.type)
    ) {
      throw new AppError(
        'VALIDATION_FAILED',
        `collection_id: a dry run covers collections FROM the hub (customers, orders, products); '${collection.name}' is not one.`,
        { field: 'collection_id' },
      );
    }
    const hub = ctx.hub;
    return dryRun(
      {
        hub,
        links: ctx.transfers.engine.links,
        client: () => ctx.klaviyoFor(id),
        subscription: await loadFlowSubscription(ctx.store.db, id),
        collections,
      },
      {
        collection: collection as typeof collection & { id: string },
        ids: body.ids ? [...new Set(body.ids)] : undefined,
        sample: body.ids || body.all ? undefined : (body.sample ?? 100),
        all: body.all,
        lookups: body.lookups,
      },
    );
  });
}
