// Hub REST routes (SPEC S8.1): customers, transactions and products — get, list, create, upsert, patch,
// delete, batch upsert (≤ 1,000), NDJSON import — and the change feed.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import {
  HUB_INPUT_SCHEMAS,
  HUB_KINDS,
  HUB_PATCH_SCHEMAS,
  HUB_RESOURCE,
  HubId,
  type HubKind,
} from '../domain/hub.ts';
import type { ServiceContext } from '../service/context.ts';
import { plainIssueMessage } from '../domain/validation-messages.ts';
import { importNdjson } from './import.ts';
import type { HubStore } from './store.ts';

export const MAX_BATCH = 1000;
const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/** Parses with a zod schema, or answers 400 naming the first field at fault (with a prefix for batches). */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
    .filter(Boolean)
    .join('.')
    .replace(/\.\[/g, '[');
  throw new AppError('VALIDATION_FAILED', plainIssueMessage(issue, field || undefined), {
    ...(field ? { field } : {}),
  });
}

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(200).optional(),
  email: z.string().max(320).optional(),
  include_deleted: z.enum(['true', 'false']).optional(),
});

const ChangesQuery = z.object({
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  kind: z.enum(HUB_KINDS).optional(),
});

const IdParams = z.object({ id: HubId });

function hubOf(ctx: ServiceContext): HubStore {
  if (!ctx.hub) throw new Error('The hub store is not part of this service context.');
  return ctx.hub;
}

function notFound(kind: HubKind, id: string): AppError {
  return new AppError('RECORD_NOT_FOUND', `No ${kind} with id '${id}'.`);
}

function registerKind(app: FastifyInstance, ctx: ServiceContext, kind: HubKind) {
  const base = `/api/v1/${HUB_RESOURCE[kind]}`;
  const input = HUB_INPUT_SCHEMAS[kind] as unknown as z.ZodType<Record<string, unknown>>;
  const patch = HUB_PATCH_SCHEMAS[kind] as unknown as z.ZodType<Record<string, unknown>>;
  const hub = () => hubOf(ctx);

  app.get(base, async (req) => {
    const q = parseOr400(ListQuery, req.query);
    return hub().list(kind, { ...q, includeDeleted: q.include_deleted === 'true' });
  });

  app.post(base, async (req, reply) => {
    const record = parseOr400(input, req.body);
    if (typeof record.id === 'string' && (await hub().get(kind, record.id, { includeDeleted: false }))) {
      throw new AppError('CONFLICT', `A ${kind} with id '${record.id}' exists; use PUT to replace it.`, {
        field: 'id',
      });
    }
    return reply.status(201).send(await hub().upsert(kind, record));
  });

  app.get(`${base}/:id`, async (req) => {
    const { id } = parseOr400(IdParams, req.params);
    const record = await hub().get(kind, id);
    if (!record) throw notFound(kind, id);
    return record;
  });

  app.put(`${base}/:id`, async (req) => {
    const { id } = parseOr400(IdParams, req.params);
    const record = parseOr400(input, req.body);
    if (record.id !== undefined && record.id !== id) {
      throw new AppError(
        'VALIDATION_FAILED',
        `id: the body's id '${record.id}' differs from the path's '${id}'.`,
        {
          field: 'id',
        },
      );
    }
    return hub().upsert(kind, { ...record, id });
  });

  app.patch(`${base}/:id`, async (req) => {
    const { id } = parseOr400(IdParams, req.params);
    const fields = parseOr400(patch, req.body);
    return hub().patch(kind, id, fields);
  });

  app.delete(`${base}/:id`, async (req, reply) => {
    const { id } = parseOr400(IdParams, req.params);
    await hub().delete(kind, id);
    return reply.status(204).send();
  });

  // A batch is all or nothing: one invalid record refuses the request, naming it, and nothing is written.
  app.post(`${base}/batch`, { bodyLimit: 32 * 1024 * 1024 }, async (req) => {
    const body = req.body as unknown;
    const list = Array.isArray(body) ? body : (body as { records?: unknown })?.records;
    if (!Array.isArray(list)) {
      throw new AppError('VALIDATION_FAILED', 'records: send a JSON array of records, or {"records":[…]}.', {
        field: 'records',
      });
    }
    if (list.length > MAX_BATCH) {
      throw new AppError(
        'VALIDATION_FAILED',
        `records: at most ${MAX_BATCH} records a batch (got ${list.length}).`,
        {
          field: 'records',
        },
      );
    }
    const records = list.map((r, i) => parseOr400(input, r, `records[${i}]`));
    const result = await hub().upsertMany(kind, records);
    return {
      created: result.created,
      updated: result.updated,
      data: result.records.map((r) => ({ id: r.id, version: r.version })),
    };
  });

  app.post(`${base}/import`, async (req: FastifyRequest) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!NDJSON_TYPES.includes(type)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Send the records as NDJSON (Content-Type: application/x-ndjson).`,
        {
          status: 415,
        },
      );
    }
    return importNdjson(hub(), kind, req.body as AsyncIterable<Buffer>, {
      onStoreError: (err, line) => req.log.error({ err, line }, 'import: a line could not be stored'),
    });
  });
}

export function registerHubRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  // NDJSON bodies are streamed to the import as they arrive; no size limit applies to them.
  for (const type of NDJSON_TYPES) {
    app.addContentTypeParser(type, { bodyLimit: Number.MAX_SAFE_INTEGER }, (_req, payload, done) =>
      done(null, payload),
    );
  }
  for (const kind of HUB_KINDS) registerKind(app, ctx, kind);
  app.get('/api/v1/changes', async (req) => {
    const q = parseOr400(ChangesQuery, req.query);
    return hubOf(ctx).changes(q.since, { limit: q.limit, kind: q.kind });
  });
}
