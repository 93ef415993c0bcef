// Sign-in (SPEC S8.1): sessions for the console, API tokens for machines, and the one-time setup link
// that creates the admin when no password was configured.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import {
  createApiToken,
  createSession,
  deleteApiToken,
  deleteExpiredSessions,
  deleteSession,
  findUserByName,
  listApiTokens,
} from '../../store/repositories/auth.ts';
import { clearLoginTries, loginKey, takeLoginTry } from '../../store/repositories/login-attempts.ts';
import { ADMIN_USERNAME } from '../auth/bootstrap.ts';
import { requireAuth, SESSION_COOKIE } from '../../http/auth-guard.ts';
import { DUMMY_HASH, verifyPassword } from '../auth/passwords.ts';
import type { ServiceContext } from '../../service/context.ts';
import { createAdminFromSetupToken, PASSWORD_MAX, PASSWORD_MIN, registerSetupPages } from './setup.ts';

const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});
const PasswordSchema = z.string().min(PASSWORD_MIN, `at least ${PASSWORD_MIN} characters`).max(PASSWORD_MAX);

export interface SessionRouteOptions {
  /** Failed sign-ins allowed per (address, username) in the window before 429. */
  loginAttempts?: number;
  loginWindowSeconds?: number;
}

export function registerSessionRoutes(
  app: FastifyInstance,
  ctx: ServiceContext,
  options: SessionRouteOptions = {},
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Counted in the store, so every process sharing it counts the same tries (docs/security.md).
  const loginLimit = {
    limit: options.loginAttempts ?? 10,
    windowMs: (options.loginWindowSeconds ?? 300) * 1000,
  };
  const secureCookie = ctx.config.publicUrl.startsWith('https://');

  async function startSession(reply: FastifyReply, userId: string) {
    const { cookie, csrfToken } = await createSession(ctx.store.db, userId, SESSION_TTL_MS);
    reply.setCookie(SESSION_COOKIE, cookie, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: secureCookie,
      maxAge: SESSION_TTL_MS / 1000,
    });
    return csrfToken;
  }

  r.post(
    '/api/v1/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Sign in; sets the session cookie and answers the CSRF token for writes',
        body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(200) }),
        response: {
          200: z.object({ csrf_token: z.string(), username: z.string() }),
          401: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (req, reply) => {
      const key = loginKey(req.ip, req.body.username);
      const now = ctx.now();
      // The try is counted before the password is checked, so parallel guesses are all counted.
      const tried = await takeLoginTry(ctx.store.db, key, { now, ...loginLimit });
      if (!tried.allowed) {
        reply.header('retry-after', Math.max(1, Math.ceil(tried.retryAfterMs / 1000)));
        throw new AppError(
          'LOGIN_RATE_LIMITED',
          'Too many failed sign-ins; wait a few minutes and try again.',
        );
      }
      const user = await findUserByName(ctx.store.db, req.body.username);
      const ok = await verifyPassword(req.body.password, user?.password_hash ?? DUMMY_HASH);
      if (!user || !ok) {
        req.log.warn({ username: req.body.username }, 'sign-in refused');
        throw new AppError('UNAUTHENTICATED', 'Wrong username or password.');
      }
      await clearLoginTries(ctx.store.db, key, now);
      await deleteExpiredSessions(ctx.store.db);
      const csrf = await startSession(reply, user.id);
      return { csrf_token: csrf, username: user.username };
    },
  );

  r.get(
    '/api/v1/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Who is signed in (and the CSRF token of the session)',
        response: {
          200: z.object({
            username: z.string(),
            via: z.enum(['session', 'token']),
            csrf_token: z.string().nullable(),
          }),
        },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      return { username: auth.username, via: auth.via, csrf_token: auth.csrfToken ?? null };
    },
  );

  r.delete('/api/v1/session', { schema: { tags: ['session'], summary: 'Sign out' } }, async (req, reply) => {
    const cookie = req.cookies[SESSION_COOKIE];
    if (cookie) await deleteSession(ctx.store.db, cookie);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send();
  });

  r.post(
    '/api/v1/tokens',
    {
      schema: {
        tags: ['session'],
        summary: 'Make an API token for machines; the token is shown only in this answer',
        body: z.object({ name: z.string().trim().min(1).max(100) }),
        response: { 201: z.object({ id: z.string(), name: z.string(), token: z.string() }) },
      },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const made = await createApiToken(ctx.store.db, auth.userId, req.body.name);
      return reply.status(201).send({ id: made.id, name: req.body.name, token: made.token });
    },
  );

  r.get(
    '/api/v1/tokens',
    {
      schema: {
        tags: ['session'],
        summary: 'The API tokens of the signed-in user (names only)',
        response: {
          200: z.object({
            data: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                created_at: z.string(),
                last_used_at: z.string().nullable(),
              }),
            ),
            next_cursor: z.null(),
          }),
        },
      },
    },
    async (req) => ({ data: await listApiTokens(ctx.store.db, requireAuth(req).userId), next_cursor: null }),
  );

  r.delete(
    '/api/v1/tokens/:id',
    { schema: { tags: ['session'], summary: 'Revoke an API token', params: z.object({ id: z.string() }) } },
    async (req, reply) => {
      if (!(await deleteApiToken(ctx.store.db, requireAuth(req).userId, req.params.id))) {
        throw new AppError('NOT_FOUND', 'No such API token.');
      }
      return reply.status(204).send();
    },
  );

  async function finishSetup(token: string, password: string): Promise<string> {
    const outcome = await createAdminFromSetupToken(ctx, token, password);
    if (!outcome.ok) {
      throw new AppError(
        'UNAUTHENTICATED',
        'This setup link is used, expired or wrong. Restart the service without users to get a new one.',
      );
    }
    return outcome.userId;
  }

  r.post(
    '/api/v1/setup',
    {
      schema: {
        tags: ['session'],
        summary: 'Create the admin with the one-time setup link token; signs in',
        body: z.object({ token: z.string().min(1), password: PasswordSchema }),
        response: { 200: z.object({ csrf_token: z.string(), username: z.string() }) },
      },
    },
    async (req, reply) => {
      const userId = await finishSetup(req.body.token, req.body.password);
      return { csrf_token: await startSession(reply, userId), username: ADMIN_USERNAME };
    },
  );

  registerSetupPages(app, ctx);
}
