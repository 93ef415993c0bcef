// The team: users with roles, and invitations (setup links that name the user to create and its role).
// An invitation is a row of setup_tokens, the same one-time link the first admin gets (only its SHA-256
// is stored), so both are opened, checked and used up the same way.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Role } from '../../domain/roles.ts';
import { randomToken, sha256Hex } from '../../secrets/index.ts';
import type { StoreKind } from '../db.ts';
import type { Database } from '../schema.ts';
import { storedRole } from './auth.ts';

type Db = Kysely<Database>;

export interface TeamUser {
  id: string;
  username: string;
  role: Role;
  created_at: string;
}

export async function listUsers(db: Db): Promise<TeamUser[]> {
  const rows = await db
    .selectFrom('users')
    .select(['id', 'username', 'role', 'created_at'])
    .orderBy('created_at')
    .orderBy('username')
    .execute();
  return rows.map((row) => ({ ...row, role: storedRole(row.role) }));
}

export async function findUserById(db: Db, id: string): Promise<TeamUser | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'username', 'role', 'created_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { ...row, role: storedRole(row.role) } : undefined;
}

export type TeamChange = 'done' | 'not_found' | 'last_admin';

/**
 * Runs a change to one user unless it would leave the service without an admin. On PostgreSQL the admin
 * rows are locked first, so two admins demoting each other at once cannot both win.
 */
async function guardLastAdmin(
  db: Db,
  kind: StoreKind,
  userId: string,
  losesAdmin: boolean,
  change: (trx: Db) => Promise<void>,
): Promise<TeamChange> {
  return db.transaction().execute(async (trx) => {
    let admins = trx.selectFrom('users').select(['id']).where('role', '=', 'admin');
    if (kind === 'postgres') admins = admins.forUpdate();
    const adminIds = (await admins.execute()).map((row) => row.id);
    const user = await trx
      .selectFrom('users')
      .select(['id', 'role'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!user) return 'not_found';
    if (losesAdmin && adminIds.includes(userId) && adminIds.length <= 1) return 'last_admin';
    await change(trx);
    return 'done';
  });
}

export function setUserRole(db: Db, kind: StoreKind, userId: string, role: Role): Promise<TeamChange> {
  return guardLastAdmin(db, kind, userId, role !== 'admin', async (trx) => {
    await trx.updateTable('users').set({ role }).where('id', '=', userId).execute();
  });
}

/** Removes a user with their sessions and API tokens. */
export function deleteUser(db: Db, kind: StoreKind, userId: string): Promise<TeamChange> {
  return guardLastAdmin(db, kind, userId, true, async (trx) => {
    // Deleted explicitly: SQLite enforces the cascade only when foreign keys are switched on.
    await trx.deleteFrom('sessions').where('user_id', '=', userId).execute();
    await trx.deleteFrom('api_tokens').where('user_id', '=', userId).execute();
    await trx.deleteFrom('users').where('id', '=', userId).execute();
  });
}

export interface Invitation {
  id: string;
  username: string;
  role: Role;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
}

export async function createInvitation(
  db: Db,
  input: { username: string; role: Role; invitedBy: string; ttlMs: number; now: number },
): Promise<{ invitation: Invitation; token: string }> {
  const token = randomToken();
  const id = randomUUID();
  const createdAt = new Date(input.now).toISOString();
  const expiresAt = input.now + input.ttlMs;
  await db
    .insertInto('setup_tokens')
    .values({
      token_hash: sha256Hex(token),
      expires_at: expiresAt,
      used_at: null,
      id,
      username: input.username,
      role: input.role,
      invited_by: input.invitedBy,
      created_at: createdAt,
    })
    .execute();
  return {
    token,
    invitation: {
      id,
      username: input.username,
      role: input.role,
      invited_by: input.invitedBy,
      created_at: createdAt,
      expires_at: new Date(expiresAt).toISOString(),
    },
  };
}

/** Invitations not yet used and not expired, oldest first. */
export async function listOpenInvitations(db: Db, now: number): Promise<Invitation[]> {
  const rows = await db
    .selectFrom('setup_tokens')
    .leftJoin('users', 'users.id', 'setup_tokens.invited_by')
    .select([
      'setup_tokens.id as id',
      'setup_tokens.username as username',
      'setup_tokens.role as role',
      'users.username as invited_by',
      'setup_tokens.created_at as created_at',
      'setup_tokens.expires_at as expires_at',
    ])
    .where('setup_tokens.username', 'is not', null)
    .where('setup_tokens.used_at', 'is', null)
    .where('setup_tokens.expires_at', '>', now)
    .orderBy('setup_tokens.created_at')
    .execute();
  return rows.map((row) => ({
    id: row.id ?? '',
    username: row.username ?? '',
    role: storedRole(row.role),
    invited_by: row.invited_by,
    created_at: row.created_at ?? '',
    expires_at: new Date(Number(row.expires_at)).toISOString(),
  }));
}

/** An open invitation for this username, if there is one (one pending link per name). */
export async function openInvitationFor(db: Db, username: string, now: number): Promise<boolean> {
  const row = await db
    .selectFrom('setup_tokens')
    .select(['id'])
    .where('username', '=', username)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Boolean(row);
}

export async function deleteInvitation(db: Db, id: string): Promise<boolean> {
  const r = await db
    .deleteFrom('setup_tokens')
    .where('id', '=', id)
    .where('username', 'is not', null)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Who a setup link creates: the invited user and role, or null for the first admin's link. */
export async function setupLinkInvitation(
  db: Db,
  token: string,
): Promise<{ username: string; role: Role } | null> {
  if (!token) return null;
  const row = await db
    .selectFrom('setup_tokens')
    .select(['username', 'role'])
    .where('token_hash', '=', sha256Hex(token))
    .executeTakeFirst();
  return row?.username ? { username: row.username, role: storedRole(row.role) } : null;
}
