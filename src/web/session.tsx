// Who is signed in and with which role, for the pages that adapt to it (the Users page, the role a new
// API token may have). The server decides every permission; the console only avoids offering what the
// role cannot do (docs/security.md, Roles).
import { createContext, useContext } from 'react';
import type { Role } from '../domain/roles.ts';

export interface SessionInfo {
  username: string;
  /** What this sign-in may do. */
  role: Role;
}

export const SessionContext = createContext<SessionInfo | null>(null);

export function useSession(): SessionInfo | null {
  return useContext(SessionContext);
}
