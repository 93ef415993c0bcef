// The roles as the console shows them. The console's bundle takes no server code (its build hash covers
// src/web only), so it keeps its own copy of the list; test/web/roles.test.ts keeps it equal to
// src/domain/roles.ts, the server's. What each role may do: docs/security.md, Roles.
import type { Role } from '../domain/roles.ts';

export type { Role };

export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: 'Reads everything; changes nothing.',
  editor: 'Also changes subscriptions, mappings, hub records, syncs, retries and replays.',
  admin: 'Also manages users, invitations, everyone’s API tokens, the service’s webhooks and alert channels.',
};

/** True when `held` is at least `needed` (the console only offers what the server would allow). */
export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}
