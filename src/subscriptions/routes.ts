// Subscriptions (SPEC S2, S8.1): create, read, update, delete, connection test, initialize (refused),
// webhook key rotation and outbound flow toggles. OAuth routes live in src/oauth/routes.ts.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import {
  checkApiUrl,
  FLOW_SCOPES,
  type FlowScope,
  INITIALIZATION_NOT_SUPPORTED_MESSAGE,
  type SubscriptionStatus,
  SubscriptionCreateSchema,
  SubscriptionPatchSchema,
  SubscriptionViewSchema,
} from '../domain/subscription.ts';
import { lastFour, randomToken } from '../secrets/index.ts';
import { getOAuthTokens } from '../store/repositories/oauth.ts';
import {
  deleteSubscriptionRow,
  getFlowToggles,
  insertSubscription,
  listSubscriptionRows,
  type SubscriptionRow,
  setFlowToggles,
  subscriptionNameTaken,
  updateSubscriptionRow,
} from '../store/repositories/subscriptions.ts';
import type { ServiceContext } from '../service/context.ts';
import { testConnection } from './connection.ts';
import type { SubscriptionCreatedHook, SubscriptionDeletedHook } from './hooks.ts';
import { loadView, subscriptionView } from './view.ts';
import { requireSubscription } from './lookup.ts';

const IdParams = z.object({ id: z.string().min(1).max(100) });
const FlowsSchema = z.strictObject(
  Object.fromEntries(
    FLOW_SCOPES.map((s) => [s, z.boolean({ error: `${s} must be true or false` })]),
  ) as Record<FlowScope, z.ZodBoolean>,
);
const FlowsPutSchema = FlowsSchema.partial();

function newWebhookKey(): string {
  return `whk_${randomToken(32)}`;
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || /UNIQUE constraint failed/i.test(e?.message ?? '');
}

function nameTaken(name: string): AppError {
  return new AppError(
    'SUBSCRIPTION_NAME_TAKEN',
    `A subscription named "${name}" already exists; names are unique.`,
    { field: 'name' },
  );
}

/** The status a subscription has before (or without) a connection test. */
function restingStatus(authMethod: string, hasKey: boolean, hasTokens: boolean): SubscriptionStatus {
  if (authMethod === 'oauth') return hasTokens ? 'connected' : 'needs_authorization';
  return hasKey ? 'connected' : 'not_connected';
}

/**
 * What the subscription routes use from areas above this one, handed in by the HTTP app
 * (src/server/app.ts) so that this area imports none of them.
 */
export interface SubscriptionRouteParts {
  /** OAuth unlink (src/oauth/flow.ts): revokes and removes a subscription's tokens before it is deleted. */
  unlink(ctx: ServiceContext, subscriptionId: string): Promise<unknown>;
  createdHooks: readonly SubscriptionCreatedHook[];
  deletedHooks: readonly SubscriptionDeletedHook[];
}

export function registerSubscriptionRoutes(
  app: FastifyInstance,
  ctx: ServiceContext,
  parts: SubscriptionRouteParts,
) {
  const { unlink, createdHooks: subscriptionCreatedHooks, deletedHooks: subscriptionDeletedHooks } = parts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['subscriptions'];

  function allowedUrl(input: string): string {
    const checked = checkApiUrl(input, ctx.config.allowSandboxUrls);
    if (!checked.ok) throw new AppError('API_URL_NOT_ALLOWED', checked.message, { field: 'api_url' });
    return checked.url;
  }

  r.get(
    '/api/v1/subscriptions',
    {
      schema: {
        tags,
        summary: 'List subscriptions',
        response: { 200: z.object({ data: z.array(SubscriptionViewSchema), next_cursor: z.null() }) },
      },
    },
    async () => {
      const rows = await listSubscriptionRows(ctx.store.db);
      const data = [];
      for (const row of rows)
        data.push(subscriptionView(ctx, row, await getOAuthTokens(ctx.store.db, row.id)));
      return { data, next_cursor: null };
    },
  );

  r.post(
    '/api/v1/subscriptions',
    {
      schema: {
        tags,
        summary:
          'Create a subscription; with an API key it runs the connection test. The webhook key is shown in full only here.',
        body: SubscriptionCreateSchema,
        response: { 201: SubscriptionViewSchema.extend({ webhook_api_key: z.string() }) },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const apiUrl = allowedUrl(body.api_url);
      if (await subscriptionNameTaken(ctx.store.db, body.name)) throw nameTaken(body.name);
      const authMethod = body.auth_method ?? 'api_key';
      const webhookKey = newWebhookKey();
      const now = new Date().toISOString();
      const row: SubscriptionRow = {
        id: randomUUID(),
        name: body.name,
        version: body.version,
        api_url: apiUrl,
        api_key_enc: body.api_key ? ctx.secrets.encrypt(body.api_key) : null,
        api_key_last4: body.api_key ? lastFour(body.api_key) : null,
        api_revision: body.api_revision ?? null,
        generate_events: body.generate_events ? 1 : 0,
        throttle_limit: body.throttle_limit,
        throttle_seconds: body.throttle_seconds,
        hub_throttle_limit: body.hub_throttle_limit,
        hub_throttle_seconds: body.hub_throttle_seconds,
        concurrent_connections: body.concurrent_connections,
        webhook_key_enc: ctx.secrets.encrypt(webhookKey),
        polling_interval_minutes: body.polling_interval_minutes,
        default_phone_country: body.default_phone_country ?? null,
        create_missing_lists: body.create_missing_lists ? 1 : 0,
        auth_method: authMethod,
        status: authMethod === 'oauth' ? 'needs_authorization' : 'not_connected',
        status_message: null,
        account_id: null,
        account_name: null,
        checked_at: null,
        created_at: now,
        updated_at: now,
      };
      try {
        await insertSubscription(ctx.store.db, row);
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(body.name);
        throw err;
      }
      for (const hook of subscriptionCreatedHooks)
        await hook(ctx, { subscriptionId: row.id, createDefaultMappings: body.create_default_mappings });
      if (authMethod === 'api_key' && body.api_key) await testConnection(ctx, row.id);
      req.log.info({ subscriptionId: row.id }, 'subscription created');
      return reply.status(201).send({ ...(await loadView(ctx, row.id)), webhook_api_key: webhookKey });
    },
  );

  r.get(
    '/api/v1/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'A subscription, secrets masked',
        params: IdParams,
        response: { 200: SubscriptionViewSchema },
      },
    },
    async (req) => loadView(ctx, req.params.id),
  );

  r.patch(
    '/api/v1/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Change settings; a new API key, URL or revision runs the connection test again',
        params: IdParams,
        body: SubscriptionPatchSchema,
        response: { 200: SubscriptionViewSchema },
      },
    },
    async (req) => {
      const id = req.params.id;
      const current = await requireSubscription(ctx, id);
      const b = req.body;
      const changes: Partial<SubscriptionRow> = {};
      if (b.name !== undefined && b.name !== current.name) {
        if (await subscriptionNameTaken(ctx.store.db, b.name, id)) throw nameTaken(b.name);
        changes.name = b.name;
      }
      if (b.version !== undefined) changes.version = b.version;
      if (b.api_url !== undefined) changes.api_url = allowedUrl(b.api_url);
      if (b.api_key !== undefined) {
        changes.api_key_enc = b.api_key ? ctx.secrets.encrypt(b.api_key) : null;
        changes.api_key_last4 = b.api_key ? lastFour(b.api_key) : null;
      }
      if (b.api_revision !== undefined) changes.api_revision = b.api_revision;
      if (b.generate_events !== undefined) changes.generate_events = b.generate_events ? 1 : 0;
      for (const k of [
        'throttle_limit',
        'throttle_seconds',
        'hub_throttle_limit',
        'hub_throttle_seconds',
        'concurrent_connections',
        'polling_interval_minutes',
      ] as const) {
        if (b[k] !== undefined) changes[k] = b[k];
      }
      if (b.default_phone_country !== undefined) changes.default_phone_country = b.default_phone_country;
      if (b.create_missing_lists !== undefined) changes.create_missing_lists = b.create_missing_lists ? 1 : 0;
      // Saving a key means "use this key" unless the same request says otherwise.
      const authMethod = b.auth_method ?? (b.api_key ? 'api_key' : current.auth_method);
      changes.auth_method = authMethod;

      const credentialsChanged =
        b.api_key !== undefined ||
        authMethod !== current.auth_method ||
        (changes.api_url !== undefined && changes.api_url !== current.api_url) ||
        (b.api_revision !== undefined && b.api_revision !== current.api_revision);
      try {
        await updateSubscriptionRow(ctx.store.db, id, changes);
      } catch (err) {
        if (isUniqueViolation(err) && b.name) throw nameTaken(b.name);
        throw err;
      }
      if (credentialsChanged) {
        const hasKey = b.api_key !== undefined ? !!b.api_key : !!current.api_key_enc;
        const tokens = await getOAuthTokens(ctx.store.db, id);
        const resting = restingStatus(authMethod, hasKey, !!tokens);
        if (resting === 'connected') await testConnection(ctx, id);
        else {
          await updateSubscriptionRow(ctx.store.db, id, {
            status: resting,
            status_message:
              resting === 'needs_authorization'
                ? 'Click Authenticate to connect this subscription to Klaviyo with OAuth.'
                : null,
            account_id: null,
            account_name: null,
          });
        }
      }
      return loadView(ctx, id);
    },
  );

  r.delete(
    '/api/v1/subscriptions/:id',
    { schema: { tags, summary: 'Delete a subscription and everything it owns', params: IdParams } },
    async (req, reply) => {
      const id = req.params.id;
      await requireSubscription(ctx, id);
      // Leave no app installed in the Klaviyo account behind: revoke before the tokens go.
      if (await getOAuthTokens(ctx.store.db, id)) await unlink(ctx, id);
      for (const hook of subscriptionDeletedHooks) await hook(ctx, id);
      await deleteSubscriptionRow(ctx.store.db, id);
      req.log.info({ subscriptionId: id }, 'subscription deleted');
      return reply.status(204).send();
    },
  );

  r.post(
    '/api/v1/subscriptions/:id/test',
    {
      schema: {
        tags,
        summary: 'Test the connection (GET /api/accounts) and store the result',
        params: IdParams,
        response: { 200: SubscriptionViewSchema },
      },
    },
    async (req) => {
      await testConnection(ctx, req.params.id);
      return loadView(ctx, req.params.id);
    },
  );

  r.post(
    '/api/v1/subscriptions/:id/initialize',
    {
      schema: {
        tags,
        summary: 'Not supported for Klaviyo (answers INITIALIZATION_NOT_SUPPORTED)',
        params: IdParams,
      },
    },
    async (req) => {
      await requireSubscription(ctx, req.params.id);
      throw new AppError('INITIALIZATION_NOT_SUPPORTED', INITIALIZATION_NOT_SUPPORTED_MESSAGE);
    },
  );

  r.post(
    '/api/v1/subscriptions/:id/webhook-key',
    {
      schema: {
        tags,
        summary: 'Rotate the webhook API key; the new key is shown only in this answer',
        params: IdParams,
        response: { 200: z.object({ webhook_api_key: z.string() }) },
      },
    },
    async (req) => {
      const id = req.params.id;
      await requireSubscription(ctx, id);
      const key = newWebhookKey();
      await updateSubscriptionRow(ctx.store.db, id, { webhook_key_enc: ctx.secrets.encrypt(key) });
      req.log.info({ subscriptionId: id }, 'webhook key rotated');
      return { webhook_api_key: key };
    },
  );

  r.get(
    '/api/v1/subscriptions/:id/flows',
    {
      schema: {
        tags,
        summary: 'Outbound data flow toggles by scope',
        params: IdParams,
        response: { 200: FlowsSchema },
      },
    },
    async (req) => {
      await requireSubscription(ctx, req.params.id);
      return getFlowToggles(ctx.store.db, req.params.id);
    },
  );

  r.put(
    '/api/v1/subscriptions/:id/flows',
    {
      schema: {
        tags,
        summary: 'Turn outbound data flows on or off (scopes left out keep their state)',
        params: IdParams,
        body: FlowsPutSchema,
        response: { 200: FlowsSchema },
      },
    },
    async (req) => {
      await requireSubscription(ctx, req.params.id);
      await setFlowToggles(ctx.store.db, req.params.id, req.body as Partial<Record<FlowScope, boolean>>);
      return getFlowToggles(ctx.store.db, req.params.id);
    },
  );
}
