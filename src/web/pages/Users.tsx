// The team (admins only; docs/console.md, Users): invite someone by a one-time link with a role, see the
// users and open invitations, change a role, remove a user. The server refuses to leave no admin.
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { ROLE_DESCRIPTIONS, ROLES, type Role } from '../roles.ts';
import { ApiError, del, get, patch, post } from '../api.ts';
import { ErrorBanner, FieldRow, formatTime, LiveNotice } from '../components/ui.tsx';
import { useSession } from '../session.tsx';
import { CopyField } from './CopyField.tsx';

interface TeamUser {
  id: string;
  username: string;
  role: Role;
  created_at: string;
}

interface Invitation {
  id: string;
  username: string;
  role: Role;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
}

export function Users() {
  const session = useSession();
  const [users, setUsers] = useState<TeamUser[] | null>(null);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [link, setLink] = useState<{ username: string; url: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (nameError) nameRef.current?.focus();
  }, [nameError]);

  const load = useCallback(async () => {
    const [u, i] = await Promise.all([
      get<{ data: TeamUser[] }>('/api/v1/users'),
      get<{ data: Invitation[] }>('/api/v1/invitations'),
    ]);
    setUsers(u.data);
    setInvitations(i.data);
  }, []);
  useEffect(() => {
    load().catch(setError);
  }, [load]);

  const act = async (work: () => Promise<string | undefined>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const message = await work();
      if (message) setDone(message);
      await load();
    } catch (err) {
      setError(err);
      await load().catch(() => {});
    } finally {
      setBusy(false);
    }
  };

  const inviteUser = (e: FormEvent) => {
    e.preventDefault();
    setNameError(null);
    if (!username.trim()) return setNameError('Enter the username the new user will sign in with.');
    return act(async () => {
      try {
        const made = await post<Invitation & { url: string }>('/api/v1/invitations', {
          username: username.trim(),
          role,
        });
        setLink({ username: made.username, url: made.url });
        setUsername('');
        return undefined;
      } catch (err) {
        if (err instanceof ApiError && err.field === 'username') {
          setNameError(err.message);
          return undefined;
        }
        throw err;
      }
    });
  };

  if (session && session.role !== 'admin') {
    return (
      <section>
        <h1>Users</h1>
        <p>
          Only an admin manages users. You are signed in as {session.username} ({session.role}).
        </p>
      </section>
    );
  }

  return (
    <section>
      <h1>Users</h1>
      <p className="muted">
        Everyone signs in with their own username and password. <strong>viewer</strong>:{' '}
        {ROLE_DESCRIPTIONS.viewer} <strong>editor</strong>: {ROLE_DESCRIPTIONS.editor} <strong>admin</strong>:{' '}
        {ROLE_DESCRIPTIONS.admin}
      </p>
      <ErrorBanner error={error} />
      <LiveNotice>{done}</LiveNotice>
      {link ? (
        <div className="banner banner-warn">
          <p>
            Send this link to <strong>{link.username}</strong>. It works once, for 7 days, and is not shown
            again.
          </p>
          <CopyField
            label={`Invitation link for ${link.username}`}
            value={link.url}
            testId="invitation-link"
            onDone={() => {
              setLink(null);
              nameRef.current?.focus();
            }}
          />
        </div>
      ) : null}
      <form className="card" onSubmit={inviteUser} noValidate aria-label="Invite a user">
        <h2>Invite a user</h2>
        <div className="field-grid">
          <FieldRow
            label="Username"
            required
            hint="Letters, digits and . _ @ - ; they sign in with it."
            error={nameError}
          >
            {({ id, describedBy, invalid }) => (
              <input
                ref={nameRef}
                id={id}
                name="username"
                autoComplete="off"
                aria-required
                value={username}
                onChange={(e) => setUsername(e.target.value)}
                aria-describedby={describedBy}
                aria-invalid={invalid || undefined}
              />
            )}
          </FieldRow>
          <FieldRow label="Role" hint={ROLE_DESCRIPTIONS[role]}>
            {({ id, describedBy }) => (
              <select
                id={id}
                name="role"
                value={role}
                aria-describedby={describedBy}
                onChange={(e) => setRole(e.target.value as Role)}
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            )}
          </FieldRow>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Make invitation link
          </button>
        </div>
      </form>

      <h2 id="users-title">Users</h2>
      {users === null ? (
        <p className="loading">Loading…</p>
      ) : (
        <div className="table-scroll">
          <table className="table" aria-labelledby="users-title">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Added</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr key={user.id} data-username={user.username}>
                  <td>
                    {user.username}
                    {user.username === session?.username ? <span className="muted"> (you)</span> : null}
                  </td>
                  <td>
                    <select
                      aria-label={`Role of ${user.username}`}
                      value={user.role}
                      disabled={busy}
                      onChange={(e) => {
                        const next = e.target.value as Role;
                        act(async () => {
                          await patch(`/api/v1/users/${encodeURIComponent(user.id)}`, { role: next });
                          return `${user.username} is now ${next}.`;
                        });
                      }}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{formatTime(user.created_at)}</td>
                  <td>
                    <button
                      type="button"
                      className="danger"
                      disabled={busy}
                      aria-label={`Remove ${user.username}`}
                      onClick={() => {
                        if (
                          !confirm(
                            `Remove ${user.username}? Their sessions end and their API tokens stop working.`,
                          )
                        )
                          return;
                        act(async () => {
                          await del(`/api/v1/users/${encodeURIComponent(user.id)}`);
                          return `${user.username} was removed.`;
                        });
                      }}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 id="invitations-title">Open invitations</h2>
      {invitations.length === 0 ? (
        <p className="muted">No open invitations.</p>
      ) : (
        <div className="table-scroll">
          <table className="table" aria-labelledby="invitations-title">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Invited by</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((inv) => (
                <tr key={inv.id}>
                  <td>{inv.username}</td>
                  <td>{inv.role}</td>
                  <td>{inv.invited_by ?? '—'}</td>
                  <td>{formatTime(inv.expires_at)}</td>
                  <td>
                    <button
                      type="button"
                      disabled={busy}
                      aria-label={`Revoke the invitation of ${inv.username}`}
                      onClick={() =>
                        act(async () => {
                          await del(`/api/v1/invitations/${encodeURIComponent(inv.id)}`);
                          return `The invitation of ${inv.username} was revoked; its link no longer works.`;
                        })
                      }
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
