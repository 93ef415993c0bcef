// API tokens for scripts and the CLI (docs/console.md, API tokens): make one with a name and a role (at
// most yours), see it once, list and revoke. An admin sees everyone's tokens.
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { ROLE_DESCRIPTIONS, ROLES, type Role, roleAllows } from '../roles.ts';
import { ApiError, del, get, post } from '../api.ts';
import { ErrorBanner, FieldRow, formatTime, LiveNotice } from '../components/ui.tsx';
import { useSession } from '../session.tsx';
import { CopyField } from './CopyField.tsx';

interface ApiToken {
  id: string;
  name: string;
  role: Role;
  owner: string;
  created_at: string;
  last_used_at: string | null;
}

export function ApiTokens() {
  const session = useSession();
  const myRole: Role = session?.role ?? 'viewer';
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(myRole);
  const [fieldError, setFieldError] = useState<{ field: 'name' | 'role'; message: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  const roleRef = useRef<HTMLSelectElement>(null);

  useEffect(() => {
    if (fieldError?.field === 'name') nameRef.current?.focus();
    if (fieldError?.field === 'role') roleRef.current?.focus();
  }, [fieldError]);

  const load = useCallback(async () => {
    setTokens((await get<{ data: ApiToken[] }>('/api/v1/tokens')).data);
  }, []);
  useEffect(() => {
    load().catch(setError);
  }, [load]);

  const make = async (e: FormEvent) => {
    e.preventDefault();
    setFieldError(null);
    setError(null);
    setDone(null);
    if (!name.trim())
      return setFieldError({ field: 'name', message: 'Give the token a name, e.g. nightly-import.' });
    setBusy(true);
    try {
      const answer = await post<{ id: string; name: string; token: string }>('/api/v1/tokens', {
        name: name.trim(),
        role,
      });
      setMade({ name: answer.name, token: answer.token });
      setName('');
      await load();
    } catch (err) {
      if (err instanceof ApiError && (err.field === 'name' || err.field === 'role')) {
        setFieldError({ field: err.field, message: err.message });
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (token: ApiToken) => {
    if (!confirm(`Revoke the API token ${token.name}? Scripts that use it are refused from now on.`)) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await del(`/api/v1/tokens/${encodeURIComponent(token.id)}`);
      setDone(`The token ${token.name} was revoked.`);
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const showOwner = myRole === 'admin';
  return (
    <section>
      <h1>API tokens</h1>
      <p className="muted">
        Scripts and the CLI send a token as <code>Authorization: Bearer &lt;token&gt;</code> (the CLI reads{' '}
        <code>--token</code> or <code>KLAVIYO_SYNC_TOKEN</code>). A token does what its role allows, never
        more than its maker may.
        {showOwner ? ' As an admin you see and may revoke everyone’s tokens.' : ''}
      </p>
      <ErrorBanner error={error} />
      <LiveNotice>{done}</LiveNotice>
      {made ? (
        <div className="banner banner-warn">
          <p>
            The token <strong>{made.name}</strong> — copy it now, it is not shown again.
          </p>
          <CopyField
            label={`API token ${made.name}`}
            value={made.token}
            testId="new-api-token"
            onDone={() => {
              setMade(null);
              nameRef.current?.focus();
            }}
          />
        </div>
      ) : null}
      <form className="card" onSubmit={make} noValidate aria-label="Make an API token">
        <h2>Make a token</h2>
        <div className="field-grid">
          <FieldRow
            label="Name"
            required
            hint="What uses it, so you know which to revoke."
            error={fieldError?.field === 'name' ? fieldError.message : null}
          >
            {({ id, describedBy, invalid }) => (
              <input
                ref={nameRef}
                id={id}
                name="name"
                autoComplete="off"
                aria-required
                maxLength={100}
                value={name}
                onChange={(e) => setName(e.target.value)}
                aria-describedby={describedBy}
                aria-invalid={invalid || undefined}
              />
            )}
          </FieldRow>
          <FieldRow
            label="Role"
            hint={ROLE_DESCRIPTIONS[role]}
            error={fieldError?.field === 'role' ? fieldError.message : null}
          >
            {({ id, describedBy, invalid }) => (
              <select
                ref={roleRef}
                id={id}
                name="role"
                value={role}
                aria-describedby={describedBy}
                aria-invalid={invalid || undefined}
                onChange={(e) => setRole(e.target.value as Role)}
              >
                {ROLES.filter((r) => roleAllows(myRole, r)).map((r) => (
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
            Make token
          </button>
        </div>
      </form>

      <h2 id="tokens-title">Tokens</h2>
      {tokens === null ? (
        <p className="loading">Loading…</p>
      ) : tokens.length === 0 ? (
        <p className="muted">No API tokens yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="table" aria-labelledby="tokens-title">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                {showOwner ? <th scope="col">Owner</th> : null}
                <th scope="col">Made</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((token) => (
                <tr key={token.id} data-token-name={token.name}>
                  <td>{token.name}</td>
                  <td>{token.role}</td>
                  {showOwner ? <td>{token.owner}</td> : null}
                  <td>{formatTime(token.created_at)}</td>
                  <td>{token.last_used_at ? formatTime(token.last_used_at) : 'never'}</td>
                  <td>
                    <button
                      type="button"
                      className="danger"
                      disabled={busy}
                      aria-label={`Revoke ${token.name}`}
                      onClick={() => revoke(token)}
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
