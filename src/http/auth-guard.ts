// The global sign-in guard: every route needs a session cookie or a Bearer API token, except the few
// public ones below. Protection is decided on the matched route pattern, not the raw URL, so encoded or
// odd paths cannot slip past it. Cookie-authenticated writes must carry the session's CSRF token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.ts';
import { safeEqual } from '../secrets/index.ts';
import { findApiToken, findSession } from '../store/repositories/auth.ts';
import type { ServiceContext } from '../service/context.ts';

export const SESSION_COOKIE = 'ks_session';

export interface AuthInfo {
  userId: string;
  username: string;
  via: 'session' | 'token';
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
    'This API token is not valid or was revoked: make a new one (console, or POST /api/v1/tokens while signed in) and send it as `Authorization: Bearer <token>`.',
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
      ? { auth: { userId: found.userId, username: found.username, via: 'token' } }
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
          csrfToken: session.csrfToken,
        },
      }
    : { refusal: 'session_expired' };
}

export function installAuthGuard(app: FastifyInstance, ctx: ServiceContext): void {
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
  });
}

/** The signed-in user of a protected route (the guard guarantees one). */
export function requireAuth(req: FastifyRequest): AuthInfo {
  if (!req.auth) throw new AppError('UNAUTHENTICATED', 'Sign in first.');
  return req.auth;
}
