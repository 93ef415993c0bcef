// Operations endpoints (docs/operations.md): liveness, readiness (the store answers) and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
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

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(ctx.metrics.contentType);
    return ctx.metrics.metrics();
  });
}
