// OAuth state (single use, bound to subscription and user) and tokens (encrypted; the refresh lease row
// is the cross-process single-flight lock, on SQLite and PostgreSQL alike).
import type { Kysely, Selectable } from 'kysely';
import { sha256Hex } from '../../secrets/index.ts';
import type { Database } from '../schema.ts';
import type { OAuthTokensTable } from '../tables/core.ts';

type Db = Kysely<Database>;
export type OAuthTokenRow = Selectable<OAuthTokensTable>;

export async function saveOAuthState(
  db: Db,
  input: {
    state: string;
    subscriptionId: string;
    userId: string;
    codeVerifierEnc: string;
    expiresAt: number;
  },
): Promise<void> {
  await db
    .insertInto('oauth_states')
    .values({
      state_hash: sha256Hex(input.state),
      subscription_id: input.subscriptionId,
      user_id: input.userId,
      code_verifier_enc: input.codeVerifierEnc,
      expires_at: input.expiresAt,
      used_at: null,
    })
    .execute();
  // Old states are useless; keep the table small.
  await db
    .deleteFrom('oauth_states')
    .where('expires_at', '<', Date.now() - 24 * 3600 * 1000)
    .execute();
}

/** Takes a state once: answers it only to the single caller that marked it used, and only before expiry. */
export async function consumeOAuthState(db: Db, state: string, now = Date.now()) {
  const hash = sha256Hex(state);
  const taken = await db
    .updateTable('oauth_states')
    .set({ used_at: new Date(now).toISOString() })
    .where('state_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return undefined;
  return db
    .selectFrom('oauth_states')
    .select(['subscription_id', 'user_id', 'code_verifier_enc'])
    .where('state_hash', '=', hash)
    .executeTakeFirst();
}

export async function getOAuthTokens(db: Db, subscriptionId: string): Promise<OAuthTokenRow | undefined> {
  return db
    .selectFrom('oauth_tokens')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .executeTakeFirst();
}

export interface TokenWrite {
  accessTokenEnc: string;
  refreshTokenEnc: string;
  accessTokenLast4: string;
  refreshTokenLast4: string;
  expiresAt: number;
  /** Epoch ms the tokens were issued (kept as updated_at; the refresh margin depends on the lifetime). */
  issuedAt: number;
  scope: string | null;
}

/** The columns a token write sets; any lease and refresh cooldown end with it. */
function tokenColumns(t: TokenWrite) {
  return {
    access_token_enc: t.accessTokenEnc,
    refresh_token_enc: t.refreshTokenEnc,
    access_token_last4: t.accessTokenLast4,
    refresh_token_last4: t.refreshTokenLast4,
    access_token_expires_at: t.expiresAt,
    scope: t.scope,
    lease_owner: null,
    lease_until: null,
    refresh_blocked_until: null,
    updated_at: new Date(t.issuedAt).toISOString(),
  };
}

/** Stores the tokens of a fresh authorization (replacing any earlier ones), clearing lease and cooldown. */
export async function replaceOAuthTokens(db: Db, subscriptionId: string, t: TokenWrite): Promise<void> {
  const values = tokenColumns(t);
  await db
    .insertInto('oauth_tokens')
    .values({ subscription_id: subscriptionId, generation: 1, ...values })
    .onConflict((oc) =>
      oc
        .column('subscription_id')
        .doUpdateSet((eb) => ({ ...values, generation: eb('oauth_tokens.generation', '+', 1) })),
    )
    .execute();
}

/**
 * Takes the refresh lease when it is free or expired. One atomic UPDATE, so exactly one caller in any
 * process wins; the lease expires by itself if its holder dies.
 */
export async function acquireRefreshLease(
  db: Db,
  subscriptionId: string,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<boolean> {
  const r = await db
    .updateTable('oauth_tokens')
    .set({ lease_owner: owner, lease_until: now + leaseMs })
    .where('subscription_id', '=', subscriptionId)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function releaseRefreshLease(
  db: Db,
  subscriptionId: string,
  owner: string,
  blockedUntil?: number,
): Promise<void> {
  await db
    .updateTable('oauth_tokens')
    .set({
      lease_owner: null,
      lease_until: null,
      ...(blockedUntil !== undefined ? { refresh_blocked_until: blockedUntil } : {}),
    })
    .where('subscription_id', '=', subscriptionId)
    .where('lease_owner', '=', owner)
    .execute();
}

/**
 * Persists a refresh's tokens and frees the lease in one statement, only if no other write happened
 * since `expectedGeneration` was read (so a holder whose lease ran out cannot overwrite a newer rotation).
 */
export async function storeRefreshedTokens(
  db: Db,
  subscriptionId: string,
  expectedGeneration: number,
  t: TokenWrite,
): Promise<boolean> {
  const r = await db
    .updateTable('oauth_tokens')
    .set((eb) => ({ ...tokenColumns(t), generation: eb('generation', '+', 1) }))
    .where('subscription_id', '=', subscriptionId)
    .where('generation', '=', expectedGeneration)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteOAuthTokens(db: Db, subscriptionId: string): Promise<void> {
  await db.deleteFrom('oauth_tokens').where('subscription_id', '=', subscriptionId).execute();
}
