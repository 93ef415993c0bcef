// The team (docs/security.md, Roles): an admin invites people by a one-time link with a role, lists the
// users, changes a role and removes a user, never the last admin. Every route here needs `admin`.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { ROLES } from '../../domain/roles.ts';
import { findUserByName } from '../../store/repositories/auth.ts';
import {
  createInvitation,
  deleteInvitation,
  deleteUser,
  findUserById,
  listOpenInvitations,
  listUsers,
  openInvitationFor,
  setUserRole,
  type TeamChange,
} from '../../store/repositories/users.ts';
import { requireAuth } from '../../http/auth-guard.ts';
import type { ServiceContext } from '../../service/context.ts';

/** How long an invitation link works. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const tags = ['users'];
const admin = { role: 'admin' } as const;
const IdParams = z.object({ id: z.string().min(1).max(100) });
const UserView = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  created_at: z.string(),
});
const InvitationView = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  invited_by: z.string().nullable(),
  created_at: z.string(),
  expires_at: z.string(),
});
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

function refuseChange(outcome: TeamChange, action: string): void {
  if (outcome === 'not_found') throw new AppError('NOT_FOUND', 'No such user: it was removed already.');
  if (outcome === 'last_admin') {
    throw new AppError(
      'LAST_ADMIN',
      `This is the only admin: make another user admin first, then ${action}.`,
      { field: 'role' },
    );
  }
}

export function registerUserRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = ctx.store.db;

  r.get(
    '/api/v1/users',
    {
      config: admin,
      schema: {
        tags,
        summary: 'The users and their roles',
        response: { 200: z.object({ data: z.array(UserView), next_cursor: z.null() }) },
      },
    },
    async () => ({ data: await listUsers(db), next_cursor: null }),
  );

  r.patch(
    '/api/v1/users/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: "Change a user's role (the last admin stays admin)",
        params: IdParams,
        body: z.object({ role: z.enum(ROLES) }),
        response: { 200: UserView },
      },
    },
    async (req) => {
      refuseChange(await setUserRole(db, ctx.store.kind, req.params.id, req.body.role), 'change this role');
      const user = await findUserById(db, req.params.id);
      if (!user) throw new AppError('NOT_FOUND', 'No such user: it was removed already.');
      req.log.info(
        { username: user.username, role: user.role, by: requireAuth(req).username },
        'role changed',
      );
      return user;
    },
  );

  r.delete(
    '/api/v1/users/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Remove a user with their sessions and API tokens (not the last admin)',
        params: IdParams,
      },
    },
    async (req, reply) => {
      const user = await findUserById(db, req.params.id);
      refuseChange(await deleteUser(db, ctx.store.kind, req.params.id), 'remove this user');
      req.log.info({ username: user?.username, by: requireAuth(req).username }, 'user removed');
      return reply.status(204).send();
    },
  );

  r.get(
    '/api/v1/invitations',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Open invitations (not used, not expired); their links are never shown again',
        response: { 200: z.object({ data: z.array(InvitationView), next_cursor: z.null() }) },
      },
    },
    async () => ({ data: await listOpenInvitations(db, ctx.now()), next_cursor: null }),
  );

  r.post(
    '/api/v1/invitations',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Invite a user with a role: answers a one-time link (valid 7 days), shown only here',
        body: z.object({
          username: z
            .string()
            .trim()
            .min(1, 'give the new user a username')
            .max(64)
            .regex(USERNAME_PATTERN, 'letters, digits and . _ @ - only, starting with a letter or digit'),
          role: z.enum(ROLES),
        }),
        response: { 201: InvitationView.extend({ url: z.string() }) },
      },
    },
    async (req, reply) => {
      const { username, role } = req.body;
      if (await findUserByName(db, username)) {
        throw new AppError(
          'USERNAME_TAKEN',
          `A user named ${username} exists already: choose another name.`,
          {
            field: 'username',
          },
        );
      }
      if (await openInvitationFor(db, username, ctx.now())) {
        throw new AppError(
          'USERNAME_TAKEN',
          `An invitation for ${username} is open already: revoke it below to make a new link.`,
          { field: 'username' },
        );
      }
      const auth = requireAuth(req);
      const made = await createInvitation(db, {
        username,
        role,
        invitedBy: auth.userId,
        ttlMs: INVITATION_TTL_MS,
        now: ctx.now(),
      });
      req.log.info({ username, role, by: auth.username }, 'invitation made');
      return reply.status(201).send({
        ...made.invitation,
        invited_by: auth.username,
        url: `${ctx.config.publicUrl}/setup?token=${made.token}`,
      });
    },
  );

  r.delete(
    '/api/v1/invitations/:id',
    {
      config: admin,
      schema: { tags, summary: 'Revoke an open invitation (its link stops working)', params: IdParams },
    },
    async (req, reply) => {
      if (!(await deleteInvitation(db, req.params.id))) {
        throw new AppError('NOT_FOUND', 'No such open invitation: it was used or revoked already.');
      }
      return reply.status(204).send();
    },
  );
}
