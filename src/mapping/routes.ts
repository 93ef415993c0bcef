// Collection routes (SPEC S8.1): list and create per subscription, read / replace / delete one, and the
// preview. Validation lives in validate.ts and answers 400 naming the mapping at fault.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CollectionInput, PreviewInput } from '../domain/collections.ts';
import { AppError } from '../domain/errors.ts';
import type { ServiceContext } from '../service/context.ts';
import { previewCollection } from './preview.ts';
import {
  collectionTrees,
  createCollection,
  deleteCollection,
  getCollection,
  listCollections,
  replaceCollection,
  subscriptionMappingContext,
} from './store.ts';

const IdParams = z.object({ id: z.string().min(1).max(100) });

/** Fields a collection's GET answer has that are the service's to set. */
const READ_ONLY_FIELDS = ['id', 'subscription_id', 'created_at', 'updated_at'];

export function registerMappingRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['collections'];
  const db = ctx.store.db;

  async function mustGet(id: string) {
    const collection = await getCollection(db, id);
    if (!collection) throw new AppError('NOT_FOUND', `No collection ${id}.`);
    return collection;
  }

  r.get(
    '/api/v1/subscriptions/:id/collections',
    { schema: { tags, summary: "A subscription's mapping collections", params: IdParams } },
    async (req) => {
      await subscriptionMappingContext(db, req.params.id);
      return { data: await listCollections(db, req.params.id), next_cursor: null };
    },
  );

  r.post(
    '/api/v1/subscriptions/:id/collections',
    {
      schema: {
        tags,
        summary: 'Create a mapping collection (validated)',
        params: IdParams,
        body: CollectionInput,
      },
    },
    async (req, reply) => reply.status(201).send(await createCollection(db, req.params.id, req.body)),
  );

  r.get(
    '/api/v1/collections/:id',
    { schema: { tags, summary: 'A mapping collection with its mappings', params: IdParams } },
    async (req) => mustGet(req.params.id),
  );

  r.put(
    '/api/v1/collections/:id',
    {
      schema: {
        tags,
        summary: 'Replace a mapping collection (validated)',
        params: IdParams,
        body: CollectionInput,
      },
      // A collection read with GET can be sent back as it is: its read-only fields are dropped here
      // rather than refused, so "GET, edit, PUT" works; an id naming another collection is still refused.
      preValidation: async (req) => {
        const body = req.body as Record<string, unknown> | null;
        if (!body || typeof body !== 'object' || Array.isArray(body)) return;
        const { id } = req.params as { id: string };
        if (body.id !== undefined && body.id !== id) {
          throw new AppError(
            'VALIDATION_FAILED',
            `id: the body is collection ${String(body.id)}, the path ${id}`,
            {
              field: 'id',
            },
          );
        }
        for (const key of READ_ONLY_FIELDS) delete body[key];
      },
    },
    async (req) => replaceCollection(db, req.params.id, req.body),
  );

  r.delete(
    '/api/v1/collections/:id',
    { schema: { tags, summary: 'Delete a mapping collection without children', params: IdParams } },
    async (req, reply) => {
      await deleteCollection(db, req.params.id);
      return reply.status(204).send();
    },
  );

  r.post(
    '/api/v1/collections/:id/preview',
    {
      schema: {
        tags,
        summary: 'Run a collection on a record and show what would be sent, sending nothing',
        params: IdParams,
        body: PreviewInput,
      },
    },
    async (req) => {
      const collection = await mustGet(req.params.id);
      const subscription = await subscriptionMappingContext(db, collection.subscription_id);
      const all = await listCollections(db, collection.subscription_id);
      const tree = collectionTrees(
        all.map((c) => (c.id === collection.id ? { ...c, parent_id: null } : c)),
      ).find((t) => t.id === collection.id);
      return previewCollection(collection, tree?.children ?? [], req.body, subscription, {
        hubRecord: async (kind, id) => (ctx.hub ? ctx.hub.get(kind, id) : null),
        klaviyoProfile: async (id) => {
          const client = await ctx.klaviyoFor(collection.subscription_id);
          try {
            return await client.profiles.get(id, { additionalFields: ['subscriptions'] });
          } catch (err) {
            // An id Klaviyo does not know is the caller's mistake, not the service's (a 404, not a 500).
            if ((err as { code?: unknown }).code === 'KLAVIYO_NOT_FOUND')
              throw new AppError('RECORD_NOT_FOUND', `Klaviyo has no profile with id '${id}'.`, {
                field: 'record_id',
              });
            throw err;
          }
        },
      });
    },
  );
}
