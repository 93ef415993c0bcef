// Users, sessions, API tokens and one-time setup links. Only hashes of presented tokens are stored.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { randomToken, sha256Hex } from '../../secrets/index.ts';
import { isRole, type Role } from '../../domain/roles.ts';
import type { Database } from '../schema.ts';

type Db = Kysely<Database>;

export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: string;
}

/** A stored role read back; anything unknown counts as the least (a hand-edited row grants nothing). */
export function storedRole(value: string | null | undefined): Role {
  return isRole(value) ? value : 'viewer';
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function findUserByName(db: Db, username: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .select(['id', 'username', 'password_hash', 'role'])
    .where('username', '=', username)
    .executeTakeFirst();
}

export async function createUser(
  db: Db,
  username: string,
  passwordHash: string,
  role: Role = 'admin',
): Promise<UserRow> {
  const row = {
    id: randomUUID(),
    username,
    password_hash: passwordHash,
    role,
    created_at: new Date().toISOString(),
  };
  await db.insertInto('users').values(row).execute();
  return row;
}

export async function setUserPassword(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

export interface SessionInfo {
  userId: string;
  username: string;
  role: Role;
  csrfToken: string;
}

export async function createSession(
  db: Db,
  userId: string,
  ttlMs: number,
): Promise<{ cookie: string; csrfToken: string }> {
  const cookie = randomToken();
  const csrfToken = randomToken();
  await db
    .insertInto('sessions')
    .values({
      id_hash: sha256Hex(cookie),
      user_id: userId,
      csrf_token: csrfToken,
      created_at: new Date().toISOString(),
      expires_at: Date.now() + ttlMs,
    })
    .execute();
  return { cookie, csrfToken };
}

export async function findSession(
  db: Db,
  cookie: string,
  now = Date.now(),
): Promise<SessionInfo | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'users.id as userId',
      'users.username as username',
      'users.role as role',
      'sessions.csrf_token as csrfToken',
      'sessions.expires_at as expiresAt',
    ])
    .where('sessions.id_hash', '=', sha256Hex(cookie))
    .executeTakeFirst();
  if (!row || Number(row.expiresAt) <= now) return undefined;
  return {
    userId: row.userId,
    username: row.username,
    role: storedRole(row.role),
    csrfToken: row.csrfToken,
  };
}

export async function deleteSession(db: Db, cookie: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sha256Hex(cookie)).execute();
}

export async function deleteExpiredSessions(db: Db, now = Date.now()): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}

/**
 * Makes an API token; the clear token is returned once and only its hash is kept. The token acts with
 * the lower of `role` and its maker's role at the time of each request.
 */
export async function createApiToken(
  db: Db,
  userId: string,
  name: string,
  role: Role = 'admin',
): Promise<{ id: string; token: string }> {
  const token = `kst_${randomToken()}`;
  const id = randomUUID();
  await db
    .insertInto('api_tokens')
    .values({
      id,
      user_id: userId,
      name,
      token_hash: sha256Hex(token),
      role,
      created_at: new Date().toISOString(),
      last_used_at: null,
    })
    .execute();
  return { id, token };
}

/** Marking a token used at most this often keeps a busy machine client from writing on every request. */
const TOKEN_USE_RESOLUTION_MS = 60_000;

export async function findApiToken(
  db: Db,
  token: string,
  now: number = Date.now(),
): Promise<
  { userId: string; username: string; tokenId: string; userRole: Role; tokenRole: Role } | undefined
> {
  const found = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'users.id as userId',
      'users.username as username',
      'api_tokens.id as tokenId',
      'api_tokens.last_used_at as lastUsedAt',
      'users.role as userRole',
      'api_tokens.role as tokenRole',
    ])
    .where('api_tokens.token_hash', '=', sha256Hex(token))
    .executeTakeFirst();
  if (!found) return undefined;
  const lastUsed = found.lastUsedAt ? Date.parse(found.lastUsedAt) : Number.NaN;
  if (!(now - lastUsed < TOKEN_USE_RESOLUTION_MS)) {
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: new Date(now).toISOString() })
      .where('id', '=', found.tokenId)
      .execute();
  }
  return {
    userId: found.userId,
    username: found.username,
    tokenId: found.tokenId,
    userRole: storedRole(found.userRole),
    tokenRole: storedRole(found.tokenRole),
  };
}

/** One user's tokens, or everyone's when `userId` is null (an admin's view). */
export async function listApiTokens(db: Db, userId: string | null) {
  let q = db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id as id',
      'api_tokens.name as name',
      'api_tokens.role as role',
      'users.username as owner',
      'api_tokens.created_at as created_at',
      'api_tokens.last_used_at as last_used_at',
    ])
    .orderBy('api_tokens.created_at')
    .orderBy('api_tokens.id');
  if (userId !== null) q = q.where('api_tokens.user_id', '=', userId);
  const rows = await q.execute();
  return rows.map((row) => ({ ...row, role: storedRole(row.role) }));
}

/** Deletes one of a user's tokens, or anyone's when `userId` is null (an admin). */
export async function deleteApiToken(db: Db, userId: string | null, id: string): Promise<boolean> {
  let q = db.deleteFrom('api_tokens').where('id', '=', id);
  if (userId !== null) q = q.where('user_id', '=', userId);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function createSetupToken(db: Db, ttlMs: number): Promise<string> {
  const token = randomToken();
  await db
    .insertInto('setup_tokens')
    .values({ token_hash: sha256Hex(token), expires_at: Date.now() + ttlMs, used_at: null })
    .execute();
  return token;
}

/** Marks a setup token used; true only for the one caller that consumed a valid, unexpired token. */
export async function consumeSetupToken(db: Db, token: string, now = Date.now()): Promise<boolean> {
  const r = await db
    .updateTable('setup_tokens')
    .set({ used_at: new Date(now).toISOString() })
    .where('token_hash', '=', sha256Hex(token))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export type SetupTokenState = 'valid' | 'used' | 'expired' | 'unknown';

/** What a setup link's token is now, so the setup page can say what to do instead of showing a dead form. */
export async function setupTokenState(db: Db, token: string, now = Date.now()): Promise<SetupTokenState> {
  if (!token) return 'unknown';
  const row = await db
    .selectFrom('setup_tokens')
    .select(['used_at', 'expires_at'])
    .where('token_hash', '=', sha256Hex(token))
    .executeTakeFirst();
  if (!row) return 'unknown';
  if (row.used_at) return 'used';
  return Number(row.expires_at) > now ? 'valid' : 'expired';
}
