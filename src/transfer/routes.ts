// Transfer routes (SPEC S8.1): the log (list, one with its steps), retry, replay, queue pause/resume and
// stats; manual sync (S5.6); inbound notifications (S5.4).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { parseOr400 } from '../hub/routes.ts';
import { safeEqual } from '../secrets/index.ts';
import type { ServiceContext } from '../service/context.ts';
import { PROFILE_TO_CUSTOMER_FLOW } from './flows.ts';
import { toTransferJson } from './rows.ts';
import type { TransferServices } from './service.ts';
import { TRANSFER_STATES } from './types.ts';

export const MAX_MANUAL_SYNC_IDS = 3000;
export const MAX_NOTIFICATIONS = 1000;
/** Most transfer ids one list request may name (`ids=`). */
export const MAX_LIST_IDS = 500;

const ListQuery = z.object({
  subscription: z.string().max(100).optional(),
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
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().regex(/^\d+$/).optional(),
});

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
});

const ManualSyncBody = z.strictObject({
  collection_id: z.string().min(1).max(100),
  ids: z.array(z.string().trim().min(1).max(200)).min(1),
  debug: z.boolean().default(false),
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
    if (q.created_after && q.created_before && Date.parse(q.created_after) > Date.parse(q.created_before)) {
      throw new AppError('VALIDATION_FAILED', 'created_before: must not be earlier than created_after', {
        field: 'created_before',
      });
    }
    const page = await svc().engine.log.list(
      {
        subscription_id: q.subscription,
        state: q.state,
        record_id: q.record,
        flow: q.flow,
        error_code: q.error_code,
        created_after: utc(q.created_after),
        created_before: utc(q.created_before),
        ids: q.ids?.split(','),
      },
      { limit: q.limit, cursor: q.cursor },
    );
    return { data: page.data.map(toTransferJson), next_cursor: page.next_cursor };
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
    return { ...toTransferJson(t), steps: await svc().engine.log.steps(id) };
  });

  app.post('/api/v1/transfers/:id/retry', async (req) => {
    const { id } = parseOr400(
      z.object({ id: z.string().regex(/^\d+$/, 'must be a transfer id') }),
      req.params,
    );
    return toTransferJson(await svc().engine.log.retry(id));
  });

  app.post('/api/v1/transfers/replay', async (req) => {
    const f = parseOr400(ReplayBody, req.body ?? {});
    return svc().engine.log.replay({
      ...f,
      created_after: utc(f.created_after),
      created_before: utc(f.created_before),
    });
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
        })),
      ),
    );
    // In the order of the ids (duplicates dropped): the transfer made, or the waiting one it joined.
    const byRecord = new Map(made.map((t) => [t.record_id, t]));
    const held = ids.map((recordId) => byRecord.get(recordId)!);
    return reply.status(202).send({
      queued: ids.length,
      debug: body.debug,
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
