// Transfer routes (docs/api.md): the log (list, one with its steps), retry, replay, queue pause/resume and
// stats; manual sync and inbound notifications (docs/api.md).
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { parseOr400 } from '../hub/routes.ts';
import { safeEqual } from '../secrets/index.ts';
import type { ServiceContext } from '../service/context.ts';
import { BACKFILL_PAYLOAD } from './backfill.ts';
import { csvCell } from './csv.ts';
import type { TransferDetailJson } from './log.ts';
import { PROFILE_TO_CUSTOMER_FLOW } from './flows.ts';
import { MAX_REPLAY, type TransferFilter } from './log.ts';
import { toTransferJson } from './rows.ts';
import type { TransferServices } from './service.ts';
import { TRANSFER_STATES, type Transfer } from './types.ts';

export const MAX_MANUAL_SYNC_IDS = 3000;
export const MAX_NOTIFICATIONS = 1000;
/** Most transfer ids one list request may name (`ids=`). */
export const MAX_LIST_IDS = 500;

const FilterQuery = z.object({
  subscription: z.string().max(100).optional(),
  /** A hub id, a Klaviyo id or an email address. */
  q: z.string().trim().max(320).optional(),
  state: z.enum(TRANSFER_STATES).optional(),
  record: z.string().max(200).optional(),
  flow: z.string().max(100).optional(),
  error_code: z.string().max(100).optional(),
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
  ids: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be transfer ids separated by commas')
    .refine((v) => v.split(',').length <= MAX_LIST_IDS, `at most ${MAX_LIST_IDS} ids`)
    .optional(),
});
const ListQuery = FilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().regex(/^\d+$/).optional(),
  /** `1`: the answer carries `total`, how many transfers match (for "select all that match"). */
  total: z.enum(['0', '1']).optional(),
});

type FilterQueryInput = z.infer<typeof FilterQuery>;

/** The log's filter from a query string: checked bounds, UTC times, the search resolved to record ids. */
async function filterFrom(services: TransferServices, q: FilterQueryInput): Promise<TransferFilter> {
  if (q.created_after && q.created_before && Date.parse(q.created_after) > Date.parse(q.created_before)) {
    throw new AppError('VALIDATION_FAILED', 'created_before: must not be earlier than created_after', {
      field: 'created_before',
    });
  }
  return services.engine.log.resolveSearch({
    subscription_id: q.subscription,
    state: q.state,
    record_id: q.record,
    flow: q.flow,
    error_code: q.error_code,
    created_after: utc(q.created_after),
    created_before: utc(q.created_before),
    ids: q.ids?.split(','),
    search: q.q,
  });
}

/** Transfers as the API answers them, with the names of their subscription and collection. */
async function withNames(ctx: ServiceContext, transfers: Transfer[]) {
  const collectionIds = [...new Set(transfers.map((t) => t.collection_id).filter((id) => id !== null))];
  const subscriptionIds = [...new Set(transfers.map((t) => t.subscription_id))];
  const collections = collectionIds.length
    ? await ctx.store.db
        .selectFrom('mapping_collections')
        .select(['id', 'name'])
        .where('id', 'in', collectionIds)
        .execute()
    : [];
  const subscriptions = subscriptionIds.length
    ? await ctx.store.db
        .selectFrom('subscriptions')
        .select(['id', 'name'])
        .where('id', 'in', subscriptionIds)
        .execute()
    : [];
  const collectionName = new Map(collections.map((c) => [c.id, c.name]));
  const subscriptionName = new Map(subscriptions.map((c) => [c.id, c.name]));
  return transfers.map((t) => ({
    ...toTransferJson(t),
    subscription_name: subscriptionName.get(t.subscription_id) ?? null,
    collection_name: t.collection_id ? (collectionName.get(t.collection_id) ?? null) : null,
  }));
}

const CSV_COLUMNS = [
  'id',
  'created_at',
  'updated_at',
  'subscription_name',
  'collection_name',
  'flow',
  'direction',
  'record_id',
  'state',
  'attempts',
  'error_code',
  'error_message',
  'tracking_id',
] as const;

/** created_at is stored as UTC ISO text: a bound given with another offset is compared as UTC. */
function utc(value: string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(value).toISOString();
}

const ReplayBody = z.strictObject({
  subscription_id: z.string().max(100).optional(),
  state: z.enum(['failed', 'dead']).optional(),
  flow: z.string().max(100).optional(),
  record_id: z.string().max(200).optional(),
  error_code: z.string().max(100).optional(),
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
  ids: z.array(z.string().regex(/^\d+$/)).max(10_000).optional(),
  /** A hub id, a Klaviyo id or an email address, as the list's `q`. */
  q: z.string().trim().max(320).optional(),
  /** How many to send back in this call (at most 5,000); `remaining` in the answer says what is left. */
  limit: z.number().int().min(1).max(MAX_REPLAY).optional(),
});

const ManualSyncBody = z.strictObject({
  collection_id: z.string().min(1).max(100),
  ids: z.array(z.string().trim().min(1).max(200)).min(1),
  debug: z.boolean().default(false),
  /** Send as history: events with backfill, consent as a historical import (docs/flows.md). */
  backfill: z.boolean().default(false),
});

const HookBody = z.strictObject({
  notifications: z
    .array(
      z.object({
        scope: z.enum(['profile/created', 'profile/updated']),
        external_id: z.string().trim().min(1).max(200),
      }),
    )
    .min(1)
    .max(MAX_NOTIFICATIONS),
});

const SubscriptionBody = z.strictObject({ subscription_id: z.string().min(1).max(100) });

function servicesOf(ctx: ServiceContext): TransferServices {
  if (!ctx.transfers) throw new Error('The transfer engine is not part of this service context.');
  return ctx.transfers;
}

export function registerTransferRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const svc = () => servicesOf(ctx);

  app.get('/api/v1/transfers', async (req) => {
    const q = parseOr400(ListQuery, req.query);
    const filter = await filterFrom(svc(), q);
    const page = await svc().engine.log.list(filter, { limit: q.limit, cursor: q.cursor });
    return {
      data: await withNames(ctx, page.data),
      next_cursor: page.next_cursor,
      ...(q.total === '1' ? { total: await svc().engine.log.count(filter) } : {}),
    };
  });

  // The failed and dead transfers a filter selects, grouped by error code with the code's explanation.
  app.get('/api/v1/transfers/failures', async (req) => {
    const filter = await filterFrom(svc(), parseOr400(FilterQuery, req.query));
    const groups = await svc().engine.log.failureGroups(filter);
    return { data: groups, total: groups.reduce((n, g) => n + g.count, 0) };
  });

  // The filtered rows as CSV, streamed page by page (any number of rows, constant memory).
  app.get('/api/v1/transfers/export.csv', async (req, reply) => {
    const filter = await filterFrom(svc(), parseOr400(FilterQuery, req.query));
    const log = svc().engine.log;
    async function* lines() {
      yield `${CSV_COLUMNS.join(',')}\r\n`;
      for await (const page of log.each(filter)) {
        const named = await withNames(ctx, page);
        yield named
          .map((row) => `${CSV_COLUMNS.map((c) => csvCell(row[c] as string | number | null)).join(',')}\r\n`)
          .join('');
      }
    }
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="transfers-${stamp}.csv"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(lines()));
  });

  app.get('/api/v1/transfers/stats', async (req) => {
    const { subscription } = parseOr400(
      z.object({ subscription: z.string().max(100).optional() }),
      req.query,
    );
    const log = svc().engine.log;
    const counts: Record<string, number> = {};
    for (const state of TRANSFER_STATES)
      counts[state] = await log.count({ subscription_id: subscription, state });
    return { counts, paused: subscription ? await log.pauseOf(subscription) : null };
  });

  app.get('/api/v1/transfers/:id', async (req) => {
    const { id } = parseOr400(
      z.object({ id: z.string().regex(/^\d+$/, 'must be a transfer id') }),
      req.params,
    );
    const t = await svc().engine.log.get(id);
    if (!t) throw new AppError('NOT_FOUND', `No transfer with id '${id}'.`);
    const [named] = await withNames(ctx, [t]);
    const detail: TransferDetailJson = { ...named, steps: await svc().engine.log.steps(id) };
    return detail;
  });

  app.post('/api/v1/transfers/:id/retry', async (req) => {
    const { id } = parseOr400(
      z.object({ id: z.string().regex(/^\d+$/, 'must be a transfer id') }),
      req.params,
    );
    return toTransferJson(await svc().engine.log.retry(id));
  });

  app.post('/api/v1/transfers/replay', async (req) => {
    const { q, limit, ...f } = parseOr400(ReplayBody, req.body ?? {});
    const filter = await svc().engine.log.resolveSearch({
      ...f,
      created_after: utc(f.created_after),
      created_before: utc(f.created_before),
      search: q,
    });
    return svc().engine.log.replay(filter, limit);
  });

  app.post('/api/v1/transfers/pause', async (req) => {
    const { subscription_id } = parseOr400(SubscriptionBody, req.body);
    await svc().engine.log.pause(subscription_id);
    return { paused: await svc().engine.log.pauseOf(subscription_id) };
  });

  app.post('/api/v1/transfers/resume', async (req) => {
    const { subscription_id } = parseOr400(SubscriptionBody, req.body);
    return { resumed: await svc().engine.log.resume(subscription_id) };
  });

  app.post('/api/v1/subscriptions/:id/manual-sync', async (req, reply) => {
    const { id } = parseOr400(z.object({ id: z.string().min(1).max(100) }), req.params);
    const raw = req.body as { ids?: unknown } | undefined;
    if (Array.isArray(raw?.ids) && raw.ids.length > MAX_MANUAL_SYNC_IDS) {
      throw new AppError(
        'MANUAL_SYNC_TOO_MANY_IDS',
        `Manual sync takes at most ${MAX_MANUAL_SYNC_IDS} ids at a time (got ${raw.ids.length}); split the list.`,
        { field: 'ids' },
      );
    }
    const body = parseOr400(ManualSyncBody, req.body);
    const s = svc();
    if (!(await s.subscriptions.exists(id)))
      throw new AppError('NOT_FOUND', `No subscription with id '${id}'.`);
    const target = await s.collections.target(id, body.collection_id);
    if (!target) {
      throw new AppError(
        'NOT_FOUND',
        `Subscription '${id}' has no collection '${body.collection_id}' that can be synced.`,
        {
          field: 'collection_id',
        },
      );
    }
    const ids = [...new Set(body.ids)];
    const made = await ctx.store.db.transaction().execute((trx) =>
      s.engine.enqueueReturning(
        trx,
        ids.map((recordId) => ({
          subscription_id: id,
          collection_id: target.collection_id,
          flow: target.flow,
          direction: target.direction,
          trigger: 'manual',
          record_kind: target.record_kind,
          record_id: recordId,
          debug: body.debug,
          // A backfill is never merged with a waiting live transfer of the record (nor one into it).
          ...(body.backfill ? { payload: BACKFILL_PAYLOAD, collapse: false } : {}),
        })),
      ),
    );
    // In the order of the ids (duplicates dropped): the transfer made, or the waiting one it joined.
    const byRecord = new Map(made.map((t) => [t.record_id, t]));
    const held = ids.map((recordId) => byRecord.get(recordId)!);
    return reply.status(202).send({
      queued: ids.length,
      debug: body.debug,
      backfill: body.backfill,
      transfer_ids: held.map((t) => t.id),
      tracking_ids: held.map((t) => t.tracking_id),
    });
  });

  // Inbound notifications: authenticated by the subscription's webhook key, not by a sign-in.
  app.post('/hooks/:subscriptionId', { config: { auth: false } }, async (req, reply) => {
    const { subscriptionId } = req.params as { subscriptionId: string };
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const expected = given ? await svc().subscriptions.webhookKey(subscriptionId) : null;
    if (!given || expected === null || !safeEqual(given, expected)) {
      throw new AppError('HOOK_KEY_INVALID', 'The webhook key is missing or wrong for this subscription.');
    }
    const body = parseOr400(HookBody, req.body);
    const ids = [...new Set(body.notifications.map((n) => n.external_id))];
    await ctx.store.db.transaction().execute((trx) =>
      svc().engine.enqueue(
        trx,
        ids.map((externalId) => ({
          subscription_id: subscriptionId,
          flow: PROFILE_TO_CUSTOMER_FLOW,
          direction: 'to_hub' as const,
          trigger: 'hook',
          record_kind: 'profile',
          record_id: externalId,
        })),
      ),
    );
    return reply.status(202).send({ queued: ids.length });
  });
}
