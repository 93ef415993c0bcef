// Sign-in throttling through the store (docs/security.md): a fixed window per (client address, user
// name) that starts at its first try. A try is counted before the password is checked, in one atomic
// statement, so parallel guesses on several processes are all counted; a successful sign-in clears it.
import { type Kysely, sql } from 'kysely';
import { sha256Hex } from '../../secrets/index.ts';
import type { Database } from '../schema.ts';

export interface LoginTry {
  allowed: boolean;
  /** Until the window ends (for Retry-After). */
  retryAfterMs: number;
}

export function loginKey(address: string, username: string): string {
  return sha256Hex(`${address}\u0001${username.toLowerCase()}`);
}

/** Counts one sign-in try for `key`; refused once more than `limit` tries fell in the current window. */
export async function takeLoginTry(
  db: Kysely<Database>,
  key: string,
  options: { now: number; limit: number; windowMs: number },
): Promise<LoginTry> {
  const { now, limit, windowMs } = options;
  const ends = now + windowMs;
  const row = await db
    .insertInto('login_attempts')
    .values({ key_hash: key, tries: 1, window_ends: ends })
    .onConflict((oc) =>
      oc.column('key_hash').doUpdateSet({
        tries: sql<number>`CASE WHEN login_attempts.window_ends <= ${now} THEN 1 ELSE login_attempts.tries + 1 END`,
        window_ends: sql<number>`CASE WHEN login_attempts.window_ends <= ${now} THEN ${ends} ELSE login_attempts.window_ends END`,
      }),
    )
    .returning(['tries', 'window_ends'])
    .executeTakeFirstOrThrow();
  return { allowed: Number(row.tries) <= limit, retryAfterMs: Math.max(0, Number(row.window_ends) - now) };
}

/** A successful sign-in: its key starts afresh; windows that ended are dropped on the way. */
export async function clearLoginTries(db: Kysely<Database>, key: string, now: number): Promise<void> {
  await db.deleteFrom('login_attempts').where('key_hash', '=', key).execute();
  await db.deleteFrom('login_attempts').where('window_ends', '<=', now).execute();
}
