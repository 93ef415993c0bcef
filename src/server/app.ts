// The Fastify application: plugins, error handling and the route modules of each area.
import Fastify, { type FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.ts';

export interface ServerOptions {
  logger?: boolean | object;
}

export async function buildServer(options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 1024 * 1024 });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof AppError) return reply.status(err.status).send(err.toJSON());
    const status = err.statusCode ?? 500;
    if (status >= 500) app.log.error({ err }, 'request failed');
    const code = status === 413 ? 'BODY_TOO_LARGE' : status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_FAILED';
    const message = status >= 500 ? 'Internal error; see the service log.' : err.message;
    return reply.status(status).send({ error: { code, message } });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  return app;
}
