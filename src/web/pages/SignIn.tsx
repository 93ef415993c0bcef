import { type FormEvent, useState } from 'react';
import { post, setCsrfToken } from '../api.ts';
import { ErrorBanner, FieldRow, Notice } from '../components/ui.tsx';

/** `notice` explains why the console came back here (e.g. "Your session expired: sign in again."). */
export function SignIn({ onSignedIn, notice }: { onSignedIn: () => void; notice?: string | null }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await post<{ csrf_token: string }>('/api/v1/session', { username, password });
      setCsrfToken(answer.csrf_token);
      onSignedIn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <form onSubmit={submit} className="card signin-card" aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to klaviyo-sync</h1>
        {notice && !error ? <Notice kind="warn">{notice}</Notice> : null}
        {/* A code such as UNAUTHENTICATED means nothing to someone signing in: the sentence says it all. */}
        <ErrorBanner error={error} showCode={false} />
        <FieldRow label="Username" required>
          {({ id }) => (
            <input
              id={id}
              name="username"
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
            />
          )}
        </FieldRow>
        <FieldRow label="Password" required>
          {({ id }) => (
            <input
              id={id}
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
              // biome-ignore lint/a11y/noAutofocus: the only thing to do on this page is type the password
              autoFocus
            />
          )}
        </FieldRow>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          The first user is <code>admin</code>, with the password from{' '}
          <code>KLAVIYO_SYNC_ADMIN_PASSWORD</code>; without it, the service prints a one-time setup link in
          its log on first start. Others sign in with the username of their invitation.
        </p>
      </form>
    </main>
  );
}
