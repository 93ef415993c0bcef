// The alerts API (docs/api.md): the list of alerts with their times and notifications, the channel
// settings (secrets masked), a test alert, and each subscription's alert rules.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import type { ServiceContext } from '../service/context.ts';
import { requireSubscription } from '../subscriptions/lookup.ts';
import { alertsOf } from './index.ts';
import { EmailChannelInput, RulesInput, SlackChannelInput } from './settings.ts';

const IdParams = z.object({ id: z.string().min(1).max(100) });
const ListQuery = z.object({
  subscription: z.string().min(1).max(100).optional(),
  state: z.enum(['open', 'resolved']).optional(),
  /** An `opened_at` from the previous page: alerts opened before it. */
  cursor: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export function registerAlertRoutes(app: FastifyInstance, ctx: ServiceContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['alerts'];
  const alerts = () => alertsOf(ctx);

  r.get(
    '/api/v1/alerts',
    { schema: { tags, summary: 'Alerts, newest first, with their notifications', querystring: ListQuery } },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const data = await alerts().list({
        subscriptionId: req.query.subscription,
        state: req.query.state,
        before: req.query.cursor,
        limit,
      });
      return {
        data,
        next_cursor: data.length === limit ? data[data.length - 1]!.opened_at : null,
        open: await alerts().openCount(),
        checked_at: alerts().lastCheckedAt,
      };
    },
  );

  r.get(
    '/api/v1/alerts/settings',
    { schema: { tags, summary: 'Alert channels (email, Slack-style webhook), secrets masked' } },
    async () => alerts().settings.view(),
  );

  r.put(
    '/api/v1/alerts/settings/email',
    {
      // The service's own settings (a mail server's password, where alerts go): admin (docs/security.md).
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Set the SMTP server and recipients of alert emails',
        body: EmailChannelInput,
      },
    },
    async (req) => {
      await alerts().settings.saveEmail(req.body);
      req.log.info({ channel: 'email' }, 'alert channel saved');
      return alerts().settings.view();
    },
  );

  r.put(
    '/api/v1/alerts/settings/slack',
    {
      // The service's own settings (a mail server's password, where alerts go): admin (docs/security.md).
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Set the Slack-compatible incoming webhook URL alerts are posted to',
        body: SlackChannelInput,
      },
    },
    async (req) => {
      await alerts().settings.saveSlack(req.body);
      req.log.info({ channel: 'slack' }, 'alert channel saved');
      return alerts().settings.view();
    },
  );

  r.delete(
    '/api/v1/alerts/settings/:id',
    {
      // The service's own settings (a mail server's password, where alerts go): admin (docs/security.md).
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Remove a channel (email or slack) with its stored secret',
        params: z.object({ id: z.enum(['email', 'slack']) }),
      },
    },
    async (req) => {
      await alerts().settings.removeChannel(req.params.id);
      return alerts().settings.view();
    },
  );

  r.post(
    '/api/v1/alerts/test',
    {
      config: { role: 'admin' },
      schema: { tags, summary: 'Send a test alert on every configured channel now; answers each result' },
    },
    async (req, reply) => {
      const made = await alerts().sendTest(req.auth?.username ?? 'an API client');
      return reply.status(201).send(made);
    },
  );

  r.get(
    '/api/v1/alerts/:id',
    { schema: { tags, summary: 'One alert with its notifications', params: IdParams } },
    async (req) => {
      const found = await alerts().get(req.params.id);
      if (!found) throw new AppError('NOT_FOUND', `No alert ${req.params.id}.`);
      return found;
    },
  );

  r.get(
    '/api/v1/subscriptions/:id/alert-rules',
    { schema: { tags, summary: "A subscription's alert rules (defaults until set)", params: IdParams } },
    async (req) => {
      await requireSubscription(ctx, req.params.id);
      return alerts().settings.rules(req.params.id);
    },
  );

  r.put(
    '/api/v1/subscriptions/:id/alert-rules',
    {
      schema: {
        tags,
        summary: "Change a subscription's alert rules (omitted fields keep their value)",
        params: IdParams,
        body: RulesInput,
      },
    },
    async (req) => {
      await requireSubscription(ctx, req.params.id);
      const saved = await alerts().settings.saveRules(req.params.id, req.body);
      await alerts().check(req.params.id);
      return saved;
    },
  );
}
