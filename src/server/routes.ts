// The route modules of every area, registered by buildServer in this order. Each area exports
// `register(app, ctx)` from its own routes file and adds one line here.
import type { FastifyInstance } from 'fastify';
import { registerPrivacyDeletionRoutes } from '../flows/privacy-deletion/routes.ts';
import { registerHubRoutes } from '../hub/routes.ts';
import { registerMappingRoutes } from '../mapping/routes.ts';
import { registerTransferRoutes } from '../transfer/routes.ts';
import { registerWebhookRoutes } from '../webhooks/routes.ts';
import type { ServiceContext } from '../service/context.ts';
import { register as consoleRoutes } from './routes/console.ts';
import { register as dashboardRoutes } from './routes/dashboard.ts';

export type RouteModule = (app: FastifyInstance, ctx: ServiceContext) => Promise<void> | void;

export const routeModules: RouteModule[] = [
  dashboardRoutes,
  consoleRoutes,
  registerHubRoutes,
  registerTransferRoutes,
  registerMappingRoutes,
  registerPrivacyDeletionRoutes,
  registerWebhookRoutes,
];
