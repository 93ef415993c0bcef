// OAuth routes (SPEC S3.2, S8.1): start (302 to Klaviyo's consent page), the public callback (a plain
// page for people, never a stack trace), and unlink.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { SubscriptionViewSchema } from '../domain/subscription.ts';
import { requireAuth } from '../http/auth-guard.ts';
import type { ServiceContext } from '../service/context.ts';
import { loadView } from '../subscriptions/view.ts';
import { completeAuthorization, startAuthorization, unlink } from './flow.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// People land here from Klaviyo's consent page, so it looks like the console (its colours and type) and
// not like a bare error page; inline because it loads nothing else (the CSP allows inline styles only).
const PAGE_STYLE =
  'body{margin:0;background:#f5f7fa;color:#1f2430;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
  'main{max-width:34rem;margin:12vh auto;padding:1.5rem 1.75rem;background:#fff;border:1px solid #d9dee7;border-radius:8px}' +
  'h1{font-size:1.35rem;margin:0 0 .75rem}p{margin:.5rem 0}a{color:#1d4ed8}code{font-size:.9em}';

/** The callback's answer page for people: the outcome, and the way back. */
export function renderOAuthPage(title: string, body: string, back?: string): string {
  const link = back
    ? `<p><a href="${escapeHtml(back)}">Back to the subscription</a></p>`
    : '<p><a href="/">Back to the console</a></p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · klaviyo-sync</title><style>${PAGE_STYLE}</style></head><body><main><h1>${escapeHtml(title)}</h1>${body}${link}</main></body></html>`;
}

const page = renderOAuthPage;

export function registerOAuthRoutes(app: FastifyInstance, ctx: ServiceContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const IdParams = z.object({ id: z.string().min(1).max(100) });

  r.get(
    '/api/v1/subscriptions/:id/oauth/start',
    {
      schema: {
        tags: ['oauth'],
        summary: "Start OAuth: 302 to Klaviyo's consent page (`?format=json` answers the URL instead)",
        params: IdParams,
        querystring: z.object({ format: z.enum(['redirect', 'json']).default('redirect') }),
      },
    },
    async (req, reply) => {
      const url = await startAuthorization(ctx, req.params.id, requireAuth(req).userId);
      if (req.query.format === 'json') return { authorize_url: url };
      return reply.redirect(url, 302);
    },
  );

  r.get('/oauth/callback', { schema: { hide: true } }, async (req, reply) => {
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    const params = new URL(req.url, 'http://callback.invalid').searchParams;
    try {
      const outcome = await completeAuthorization(ctx, params, req.auth?.userId);
      const back = `/subscriptions/${encodeURIComponent(outcome.subscriptionId)}`;
      if (outcome.status === 'connected') {
        return page(
          'Connected',
          `<p>Connected to Klaviyo account <strong>${escapeHtml(outcome.accountName ?? '')}</strong>.</p>`,
          back,
        );
      }
      return reply
        .status(502)
        .send(
          page(
            'Authorized, but the connection test failed',
            `<p>${escapeHtml(outcome.message ?? '')}</p>`,
            back,
          ),
        );
    } catch (err) {
      const known = err instanceof AppError;
      if (!known) req.log.error({ err }, 'OAuth callback failed');
      else req.log.warn({ code: err.code }, 'OAuth callback refused');
      const status = known ? err.status : 500;
      const message = known ? err.message : 'The authorization could not be completed; see the service log.';
      const code = known ? err.code : 'INTERNAL_ERROR';
      const title =
        code === 'OAUTH_AUTHORIZATION_DATA_MISSING'
          ? 'Authorization Data Missing'
          : 'Klaviyo authorization failed';
      return reply
        .status(status)
        .send(page(title, `<p>${escapeHtml(message)}</p><p><small>Code: ${code}</small></p>`));
    }
  });

  r.post(
    '/api/v1/subscriptions/:id/oauth/unlink',
    {
      schema: {
        tags: ['oauth'],
        summary: 'Revoke the refresh token at Klaviyo, then delete the tokens',
        params: IdParams,
        response: { 200: SubscriptionViewSchema.extend({ revoked: z.boolean() }) },
      },
    },
    async (req) => {
      const { revoked } = await unlink(ctx, req.params.id);
      return { ...(await loadView(ctx, req.params.id)), revoked };
    },
  );
}
