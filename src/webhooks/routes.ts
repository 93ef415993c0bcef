// Outbound hub webhook endpoints (SPEC S8): list, create (the secret shown once), read, change, delete,
// and rotate the signing secret (the new one shown once). Secrets are masked in every other answer.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServiceContext } from '../service/context.ts';
import { checkWebhookUrl, WEBHOOK_EVENTS, WebhookEndpoints } from './endpoints.ts';

const IdParams = z.object({ id: z.string().min(1).max(100) });
const Events = z
  .array(z.enum(WEBHOOK_EVENTS as [string, ...string[]]))
  .min(1)
  .max(WEBHOOK_EVENTS.length);
const SubscriptionIds = z.array(z.string().min(1).max(100)).min(1).max(100).nullable();
const CreateBody = z.strictObject({
  url: z.string().min(1).max(2000),
  events: Events,
  subscription_ids: SubscriptionIds.optional(),
  enabled: z.boolean().optional(),
});
const PatchBody = z.strictObject({
  url: z.string().min(1).max(2000).optional(),
  events: Events.optional(),
  subscription_ids: SubscriptionIds.optional(),
  enabled: z.boolean().optional(),
});
const View = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  subscription_ids: z.array(z.string()).nullable(),
  enabled: z.boolean(),
  secret_masked: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
const WithSecret = View.extend({ secret: z.string() });

export function registerWebhookRoutes(app: FastifyInstance, ctx: ServiceContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const endpoints = new WebhookEndpoints(ctx.store.db, ctx.secrets);
  const tags = ['webhooks'];
  const allowed = (url: string) => checkWebhookUrl(url, ctx.config.allowSandboxUrls);

  r.get(
    '/api/v1/webhooks',
    {
      schema: {
        tags,
        summary: 'Outbound hub webhook endpoints, secrets masked',
        response: { 200: z.object({ data: z.array(View), next_cursor: z.null() }) },
      },
    },
    async () => ({ data: await endpoints.list(), next_cursor: null }),
  );

  r.post(
    '/api/v1/webhooks',
    {
      schema: {
        tags,
        summary: 'Add an endpoint; its signing secret is shown in full only in this answer',
        body: CreateBody,
        response: { 201: WithSecret },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const made = await endpoints.create({
        url: allowed(b.url),
        events: [...new Set(b.events)],
        subscription_ids: b.subscription_ids ?? null,
        enabled: b.enabled ?? true,
      });
      req.log.info({ webhookId: made.view.id }, 'webhook endpoint created');
      return reply.status(201).send({ ...made.view, secret: made.secret });
    },
  );

  r.get(
    '/api/v1/webhooks/:id',
    { schema: { tags, summary: 'An endpoint, secret masked', params: IdParams, response: { 200: View } } },
    async (req) => endpoints.get(req.params.id),
  );

  r.patch(
    '/api/v1/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Change an endpoint (URL, events, subscription filter, enabled)',
        params: IdParams,
        body: PatchBody,
        response: { 200: View },
      },
    },
    async (req) => {
      const b = req.body;
      return endpoints.update(req.params.id, {
        ...b,
        ...(b.url !== undefined ? { url: allowed(b.url) } : {}),
        ...(b.events !== undefined ? { events: [...new Set(b.events)] } : {}),
      });
    },
  );

  r.delete(
    '/api/v1/webhooks/:id',
    { schema: { tags, summary: 'Remove an endpoint; its queued deliveries are skipped', params: IdParams } },
    async (req, reply) => {
      await endpoints.delete(req.params.id);
      return reply.status(204).send();
    },
  );

  r.post(
    '/api/v1/webhooks/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'A new signing secret, shown in full only in this answer; the old one stops at once',
        params: IdParams,
        response: { 200: WithSecret },
      },
    },
    async (req) => {
      const rotated = await endpoints.rotateSecret(req.params.id);
      req.log.info({ webhookId: req.params.id }, 'webhook secret rotated');
      return { ...rotated.view, secret: rotated.secret };
    },
  );
}
