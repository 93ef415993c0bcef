// Operations endpoints (SPEC S8): liveness, readiness (the store answers) and Prometheus metrics.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { AppError } from '../../domain/errors.ts';
import { safeEqual } from '../../secrets/index.ts';
import type { ServiceContext } from '../../service/context.ts';

export function registerOperationsRoutes(app: FastifyInstance, ctx: ServiceContext) {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (req, reply) => {
    try {
      await sql`SELECT 1`.execute(ctx.store.db);
      return { status: 'ready' };
    } catch (err) {
      req.log.warn({ err }, 'store not ready');
      return reply.status(503).send({ status: 'unavailable', reason: 'The store does not answer.' });
    }
  });

  // Metrics name subscriptions, flows and volumes: not for anyone who can reach the port
  // (docs/operations.md, Metrics). The guard lets the route through; it checks its own credentials.
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (!metricsAllowed(ctx, req)) {
      throw new AppError(
        'UNAUTHENTICATED',
        'The metrics need a credential: send `Authorization: Bearer <KLAVIYO_SYNC_METRICS_TOKEN>` (or an API token), or set KLAVIYO_SYNC_METRICS_PUBLIC=1 to open them.',
      );
    }
    reply.type(ctx.metrics.contentType);
    return ctx.metrics.metrics();
  });
}

function metricsAllowed(ctx: ServiceContext, req: FastifyRequest): boolean {
  if (ctx.config.metricsPublic || req.auth) return true;
  const header = req.headers.authorization;
  const token = ctx.config.metricsToken;
  return !!token && !!header?.startsWith('Bearer ') && safeEqual(header.slice(7).trim(), token);
}
