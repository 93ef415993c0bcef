// Subscription health in the running service: the queue depth sampler (every two seconds and right after
// hub writes) and the health routes. The composition root calls startHealth once (docs/operations.md).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import type { ServiceContext } from '../service/context.ts';
import { subscriptionHealth } from './health.ts';
import { QueueSampler } from './samples.ts';

export { ALL, QueueSampler, sampledPeaks } from './samples.ts';

export function startHealth(ctx: ServiceContext, options: { workers?: boolean } = {}): void {
  if (options.workers === false) return;
  const sampler = new QueueSampler(
    ctx.store.db,
    () => ctx.now(),
    (err) => ctx.log.debug({ err }, 'health: queue sample failed'),
  );
  ctx.hub?.onChange(async () => sampler.changed());
  sampler.start();
  ctx.onClose(() => sampler.stop());
}

const IdParams = z.object({ id: z.string().min(1).max(100) });

export function registerHealthRoutes(app: FastifyInstance, ctx: ServiceContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['health'];

  r.get(
    '/api/v1/subscriptions/:id/health',
    {
      schema: {
        tags,
        summary: 'Last success, backlog and ETA, failures by code, and the last 24 hours of a subscription',
        params: IdParams,
      },
    },
    async (req) => {
      const sub = await ctx.store.db
        .selectFrom('subscriptions')
        .select(['id', 'status'])
        .where('id', '=', req.params.id)
        .executeTakeFirst();
      if (!sub) throw new AppError('NOT_FOUND', `No subscription ${req.params.id}.`);
      return subscriptionHealth(ctx.store.db, sub, ctx.now());
    },
  );

  r.get(
    '/api/v1/health/subscriptions',
    {
      schema: {
        tags,
        summary: 'Every subscription at a glance: status, backlog, ETA, failures, open alerts',
      },
    },
    async () => {
      const subs = await ctx.store.db
        .selectFrom('subscriptions')
        .select(['id', 'name', 'status'])
        .orderBy('name')
        .execute();
      const open = await ctx.store.db
        .selectFrom('alerts')
        .select(['subscription_id', 'title'])
        .where('state', '=', 'open')
        .execute();
      const data = [];
      for (const s of subs) {
        const h = await subscriptionHealth(ctx.store.db, s, ctx.now(), { chart: false });
        data.push({
          id: s.id,
          name: s.name,
          status: s.status,
          paused: h.paused,
          last_success_at: h.last_success_at,
          backlog: h.backlog.total,
          eta_seconds: h.drain.eta_seconds,
          eta_note: h.drain.eta_note,
          failures_last_hour: h.failures.last_hour.total,
          failures_last_day: h.failures.last_day.total,
          open_alerts: open.filter((a) => a.subscription_id === s.id).map((a) => a.title),
        });
      }
      return { data, generated_at: new Date(ctx.now()).toISOString() };
    },
  );
}
