// The Fastify application: plugins, the sign-in guard, error handling and the route modules of each area.
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Counter } from 'prom-client';
import type { TrustProxy } from '../config.ts';
import { unlink } from '../oauth/flow.ts';
import { registerOAuthRoutes } from '../oauth/routes.ts';
import { installAuthGuard } from '../http/auth-guard.ts';
import type { ServiceContext } from '../service/context.ts';
import { installErrorHandling, installInputLimits } from './errors.ts';
import { routeModules } from './routes.ts';
import { registerOperationsRoutes } from './routes/operations.ts';
import { registerSessionRoutes, type SessionRouteOptions } from './routes/session.ts';
import { registerSubscriptionRoutes } from '../subscriptions/routes.ts';
import { subscriptionCreatedHooks, subscriptionDeletedHooks } from './subscription-hooks.ts';

export interface ServerOptions extends SessionRouteOptions {
  /** Largest JSON body accepted by default; routes may set their own `bodyLimit`. */
  bodyLimit?: number;
}

/** A hop count as the hop-index test Fastify's number form stands for (its types know no number). */
function trustProxyOption(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

export async function buildServer(
  ctx: ServiceContext,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Off unless configured: a forged X-Forwarded-For must not pick the address the login limit keys on.
    trustProxy: trustProxyOption(ctx.config.trustProxy),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Over plain http (a LAN address) upgrading sub-resources to https would leave the console blank, and
  // HSTS would lock browsers out of the http address: both only when the service is reached over https.
  const overHttps = ctx.config.publicUrl.startsWith('https://');
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        // Swagger UI at /docs and the console's charts use inline styles.
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'upgrade-insecure-requests': overHttps ? [] : null,
      },
    },
    strictTransportSecurity: overHttps,
  });
  await app.register(cookie);
  await app.register(formbody);
  await app.register(swagger, {
    openapi: {
      info: { title: 'klaviyo-sync API', version: '1' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'ks_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  installErrorHandling(app);
  installAuthGuard(app, ctx);
  installInputLimits(app);

  const requests = new Counter({
    name: 'klaviyo_sync_http_requests_total',
    help: 'HTTP requests answered by the service, by route and status class',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [ctx.metrics],
  });
  app.addHook('onResponse', async (req, reply) => {
    requests.inc({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: `${Math.floor(reply.statusCode / 100)}xx`,
    });
  });

  registerOperationsRoutes(app, ctx);
  registerSessionRoutes(app, ctx, options);
  registerSubscriptionRoutes(app, ctx, {
    unlink,
    createdHooks: subscriptionCreatedHooks,
    deletedHooks: subscriptionDeletedHooks,
  });
  registerOAuthRoutes(app, ctx);
  for (const register of routeModules) await register(app, ctx);
  return app;
}
