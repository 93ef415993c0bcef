// Sign-in (docs/security.md): sessions for the console, API tokens for machines, and the one-time setup link
// that creates the admin when no password was configured.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { ROLES, roleAllows } from '../../domain/roles.ts';
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
import { requireAuth, SESSION_COOKIE } from '../../http/auth-guard.ts';
import type { ServiceContext } from '../../service/context.ts';
import { DUMMY_HASH, verifyPassword } from '../auth/passwords.ts';
import { createUserFromSetupLink, PASSWORD_MAX, PASSWORD_MIN, registerSetupPages } from './setup.ts';

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
            /** What this sign-in may do (a token's role may be below its user's). */
            role: z.enum(ROLES),
            user_role: z.enum(ROLES),
            csrf_token: z.string().nullable(),
          }),
        },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      return {
        username: auth.username,
        via: auth.via,
        role: auth.role,
        user_role: auth.userRole,
        csrf_token: auth.csrfToken ?? null,
      };
    },
  );

  r.delete(
    '/api/v1/session',
    { config: { role: 'viewer' }, schema: { tags: ['session'], summary: 'Sign out' } },
    async (req, reply) => {
      const cookie = req.cookies[SESSION_COOKIE];
      if (cookie) await deleteSession(ctx.store.db, cookie);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send();
    },
  );

  // Everyone may make, list and revoke their own tokens (a viewer needs a read-only token for a report);
  // a token's role is at most its maker's. An admin sees and revokes everyone's.
  const TokenView = z.object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    owner: z.string(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
  });

  r.post(
    '/api/v1/tokens',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['session'],
        summary:
          'Make an API token for machines (role at most yours); the token is shown only in this answer',
        body: z.object({
          name: z.string().trim().min(1, 'give the token a name').max(100),
          role: z.enum(ROLES).optional(),
        }),
        response: {
          201: z.object({ id: z.string(), name: z.string(), role: z.enum(ROLES), token: z.string() }),
        },
      },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const role = req.body.role ?? auth.role;
      if (!roleAllows(auth.role, role)) {
        throw new AppError(
          'FORBIDDEN',
          `A token cannot do more than you: your role here is ${auth.role}, so choose ${auth.role} or less.`,
          { field: 'role' },
        );
      }
      const made = await createApiToken(ctx.store.db, auth.userId, req.body.name, role);
      return reply.status(201).send({ id: made.id, name: req.body.name, role, token: made.token });
    },
  );

  r.get(
    '/api/v1/tokens',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['session'],
        summary: "Your API tokens (an admin sees everyone's), names and roles only, never the token",
        response: { 200: z.object({ data: z.array(TokenView), next_cursor: z.null() }) },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const owner = auth.role === 'admin' ? null : auth.userId;
      return { data: await listApiTokens(ctx.store.db, owner), next_cursor: null };
    },
  );

  r.delete(
    '/api/v1/tokens/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['session'],
        summary: "Revoke an API token (yours; an admin may revoke anyone's)",
        params: z.object({ id: z.string() }),
      },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const owner = auth.role === 'admin' ? null : auth.userId;
      if (!(await deleteApiToken(ctx.store.db, owner, req.params.id))) {
        throw new AppError('NOT_FOUND', 'No such API token: it was revoked already, or is not yours.');
      }
      return reply.status(204).send();
    },
  );

  async function finishSetup(token: string, password: string) {
    const outcome = await createUserFromSetupLink(ctx, token, password);
    if (!outcome.ok) {
      if (outcome.reason === 'name_taken') {
        throw new AppError('CONFLICT', 'The invitation’s username exists already: ask for a new invitation.');
      }
      throw new AppError(
        'UNAUTHENTICATED',
        'This setup link or invitation is used, expired or wrong. Ask an admin for a new invitation (the first admin’s link: restart the service without users).',
      );
    }
    return outcome;
  }

  r.post(
    '/api/v1/setup',
    {
      schema: {
        tags: ['session'],
        summary:
          'Create the user of a one-time setup link or invitation (its token) with a password; signs in',
        body: z.object({ token: z.string().min(1), password: PasswordSchema }),
        response: { 200: z.object({ csrf_token: z.string(), username: z.string() }) },
      },
    },
    async (req, reply) => {
      const made = await finishSetup(req.body.token, req.body.password);
      return { csrf_token: await startSession(reply, made.userId), username: made.username };
    },
  );

  registerSetupPages(app, ctx);
}
