// The global sign-in guard: every route needs a session cookie or a Bearer API token, except the few
// public ones below. Protection is decided on the matched route pattern, not the raw URL, so encoded or
// odd paths cannot slip past it. Cookie-authenticated writes must carry the session's CSRF token.
// It also checks the role (docs/security.md, the role matrix): a route needs `viewer` to read and
// `editor` to change, unless it names another role in its `config.role`.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../domain/errors.ts';
import { lowerRole, type Role, roleAllows } from '../domain/roles.ts';
import { safeEqual } from '../secrets/index.ts';
import { findApiToken, findSession } from '../store/repositories/auth.ts';
import type { ServiceContext } from '../service/context.ts';

export const SESSION_COOKIE = 'ks_session';

export interface AuthInfo {
  userId: string;
  username: string;
  via: 'session' | 'token';
  /** What this request may do: the user's role, or for a token the lower of its role and its maker's. */
  role: Role;
  /** The user's own role (a token may act with less). */
  userRole: Role;
  /** Present for token requests. */
  tokenId?: string;
  /** Present for session sign-ins. */
  csrfToken?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthInfo;
  }
  interface FastifyContextConfig {
    /** Set to false on a route that is public by design (health, callbacks with their own checks). */
    auth?: boolean;
    /** The least role the route needs; without it, reads need `viewer` and changes `editor`. */
    role?: Role;
  }
}

const PUBLIC_EXACT = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/oauth/callback',
  'POST /api/v1/session',
  'POST /api/v1/setup',
]);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The least role a protected route needs: its own `config.role`, else by method. */
export function requiredRole(method: string, config: { role?: Role } | undefined): Role {
  if (config?.role) return config.role;
  return SAFE_METHODS.has(method.toUpperCase()) ? 'viewer' : 'editor';
}

const ROLE_REFUSALS: Record<Role, string> = {
  viewer: 'Sign in first.',
  editor:
    'Your role (viewer) may read but not change anything. Ask an admin to make you an editor, or use an API token with the editor role.',
  admin:
    'Only an admin may do this (users, invitations, other people’s API tokens, the service’s webhooks and alert channels). Ask an admin of this service.',
};

/**
 * Wraps the OpenAPI transform so each operation says the role it needs (`x-required-role`) and public
 * routes say they need no credentials (`security: []`); the served document at /docs is the matrix.
 */
export function documentRoles<T extends { url: string; route?: RouteOptions }, S extends object>(
  transform: (doc: T) => { schema: S; url: string },
): (doc: T) => { schema: S; url: string } {
  return (doc) => {
    const out = transform(doc);
    // A route without a schema is still listed (as an operation with no parameters).
    const schema = (out.schema ?? {}) as S & { hide?: boolean };
    const route = doc.route;
    if (schema.hide || !route) return out;
    const method = Array.isArray(route.method) ? route.method[0] : route.method;
    const isPublic = route.config?.auth === false || isPublicRoute(method, route.url);
    return {
      ...out,
      schema: isPublic
        ? { ...schema, security: [] }
        : { ...schema, 'x-required-role': requiredRole(method, route.config) },
    };
  };
}

export function isPublicRoute(method: string, pattern: string | undefined): boolean {
  // No matched route: the 404 handler answers, which reveals nothing.
  if (pattern === undefined) return true;
  if (PUBLIC_EXACT.has(pattern) || PUBLIC_EXACT.has(`${method} ${pattern}`)) return true;
  if (pattern === '/docs' || pattern.startsWith('/docs/')) return true;
  if (pattern.startsWith('/hooks/')) return true;
  // The console's static files and pages (everything outside the API, hooks and OAuth).
  return !pattern.startsWith('/api/') && pattern !== '/api' && !pattern.startsWith('/oauth/');
}

/** Why a request carried no usable credentials; each reason gets its own advice. */
type Refusal = 'no_credentials' | 'token_refused' | 'session_expired';

const REFUSAL_MESSAGES: Record<Refusal, string> = {
  no_credentials: 'Sign in first: send the session cookie or an `Authorization: Bearer <api token>` header.',
  token_refused:
    'This API token is not valid or was revoked: make a new one (the console’s API tokens page, /tokens, or POST /api/v1/tokens while signed in) and send it as `Authorization: Bearer <token>`.',
  session_expired: 'Your session expired: sign in again.',
};

async function authenticate(
  ctx: ServiceContext,
  req: FastifyRequest,
): Promise<{ auth: AuthInfo } | { refusal: Refusal }> {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) {
    const found = await findApiToken(ctx.store.db, header.slice(7).trim(), ctx.now());
    return found
      ? {
          auth: {
            userId: found.userId,
            username: found.username,
            via: 'token',
            // A user demoted after making the token: the token does no more than its maker may now.
            role: lowerRole(found.tokenRole, found.userRole),
            userRole: found.userRole,
            tokenId: found.tokenId,
          },
        }
      : { refusal: 'token_refused' };
  }
  const cookie = req.cookies[SESSION_COOKIE];
  if (!cookie) return { refusal: 'no_credentials' };
  const session = await findSession(ctx.store.db, cookie, ctx.now());
  // An unknown cookie is almost always one whose session ended (expiry, sign-out, restart with a new store).
  return session
    ? {
        auth: {
          userId: session.userId,
          username: session.username,
          via: 'session',
          role: session.role,
          userRole: session.role,
          csrfToken: session.csrfToken,
        },
      }
    : { refusal: 'session_expired' };
}

export interface GuardedRoute {
  method: string;
  url: string;
  /** Null for a public route. */
  role: Role | null;
}

const routeTables = new WeakMap<FastifyInstance, GuardedRoute[]>();

/** Every route the guard stands before, with the role it needs (tests check the OpenAPI lists them all). */
export function guardedRoutes(app: FastifyInstance): GuardedRoute[] {
  return routeTables.get(app) ?? [];
}

export function installAuthGuard(app: FastifyInstance, ctx: ServiceContext): void {
  const table: GuardedRoute[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const isPublic = route.config?.auth === false || isPublicRoute(method, route.url);
      table.push({ method, url: route.url, role: isPublic ? null : requiredRole(method, route.config) });
    }
  });
  app.addHook('onRequest', async (req: FastifyRequest, _reply: FastifyReply) => {
    const pattern = req.routeOptions.url;
    const isPublic = req.routeOptions.config?.auth === false || isPublicRoute(req.method, pattern);
    // Public routes still learn who is signed in (e.g. the OAuth callback binds state to the user).
    const found = await authenticate(ctx, req);
    if ('auth' in found) req.auth = found.auth;
    if (isPublic) return;
    if ('refusal' in found) {
      const code = found.refusal === 'session_expired' ? 'SESSION_EXPIRED' : 'UNAUTHENTICATED';
      throw new AppError(code, REFUSAL_MESSAGES[found.refusal]);
    }
    const auth = found.auth;
    if (auth.via === 'session' && !SAFE_METHODS.has(req.method)) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !auth.csrfToken || !safeEqual(sent, auth.csrfToken)) {
        throw new AppError(
          'CSRF_TOKEN_INVALID',
          'This change needs the x-csrf-token header from the sign-in answer.',
        );
      }
    }
    const needed = requiredRole(req.method, req.routeOptions.config);
    if (!roleAllows(auth.role, needed)) {
      throw new AppError('FORBIDDEN', ROLE_REFUSALS[needed], {
        details: { role: auth.role, required_role: needed },
      });
    }
  });
}

/** The signed-in user of a protected route (the guard guarantees one). */
export function requireAuth(req: FastifyRequest): AuthInfo {
  if (!req.auth) throw new AppError('UNAUTHENTICATED', 'Sign in first.');
  return req.auth;
}
