// The console's shell: who is signed in, the navigation, and which page the address shows.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Role } from '../domain/roles.ts';
import { ApiError, api, get, onUnauthenticated, setCsrfToken } from './api.ts';
import { Alerts } from './pages/Alerts.tsx';
import { ApiTokens } from './pages/ApiTokens.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { ManualSync } from './pages/ManualSync.tsx';
import { Mappings } from './pages/Mappings.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { SubscriptionPage } from './pages/SubscriptionPage.tsx';
import { SubscriptionsList } from './pages/SubscriptionsList.tsx';
import { TransferLog, TransferPage } from './pages/TransferLog.tsx';
import { Users } from './pages/Users.tsx';
import { Webhooks } from './pages/Webhooks.tsx';
import { Link, match, navigate, useLocation } from './router.tsx';
import { SessionContext, type SessionInfo } from './session.tsx';

type SessionState = 'checking' | 'signed_in' | 'signed_out';

const NAV: { to: string; label: string; role?: Role }[] = [
  { to: '/subscriptions', label: 'Subscriptions' },
  { to: '/mappings', label: 'Mappings' },
  { to: '/sync', label: 'Manual sync' },
  { to: '/transfers', label: 'Transfer log' },
  { to: '/dashboard', label: 'Dashboard' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/tokens', label: 'API tokens' },
  { to: '/users', label: 'Users', role: 'admin' },
];

/** A subscription's mappings live under /subscriptions/:id/mappings but belong to the Mappings tab. */
function isCurrent(to: string, path: string): boolean {
  const mappings = path === '/mappings' || /^\/subscriptions\/[^/]+\/mappings$/.test(path);
  if (to === '/mappings') return mappings;
  if (to === '/subscriptions') return path.startsWith('/subscriptions') && !mappings;
  return path.startsWith(to);
}

async function probeSession(): Promise<SessionInfo | null> {
  try {
    const answer = await get<{ csrf_token?: string; username: string; role: Role }>('/api/v1/session');
    if (answer?.csrf_token) setCsrfToken(answer.csrf_token);
    return { username: answer.username, role: answer.role };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401) return null;
    return null;
  }
}

export function App() {
  const [session, setSession] = useState<SessionState>('checking');
  const [who, setWho] = useState<SessionInfo | null>(null);
  // On a phone the menu folds behind a Menu button (styles.css, narrow screens).
  const [menuOpen, setMenuOpen] = useState(false);
  const [signInNotice, setSignInNotice] = useState<string | null>(null);
  const { path, search } = useLocation();

  useEffect(() => {
    probeSession().then((info) => {
      setWho(info);
      setSession(info ? 'signed_in' : 'signed_out');
    });
    return onUnauthenticated((error) => {
      // Only an ended session is worth explaining; a first visit simply shows the sign-in form.
      if (error.code === 'SESSION_EXPIRED') setSignInNotice(error.message);
      setCsrfToken(null);
      setSession('signed_out');
    });
  }, []);

  // A page change in a one-page app is silent: the focus is moved to the new page (the next Tab starts
  // there and screen readers read it) and the window title names the page.
  const mainRef = useRef<HTMLElement>(null);
  const shownPath = useRef(path);
  useEffect(() => {
    const current = NAV.find((item) => isCurrent(item.to, path));
    document.title =
      session === 'signed_out'
        ? 'Sign in · klaviyo-sync'
        : current
          ? `${current.label} · klaviyo-sync`
          : 'klaviyo-sync';
    if (shownPath.current === path) return;
    shownPath.current = path;
    setMenuOpen(false);
    mainRef.current?.focus();
  }, [path, session]);

  const signedIn = useCallback(() => {
    setSignInNotice(null);
    setSession('checking');
    probeSession().then((info) => {
      setWho(info);
      setSession(info ? 'signed_in' : 'signed_out');
    });
    if (path === '/signin' || path === '/') navigate('/subscriptions', true);
  }, [path]);

  const signOut = async () => {
    try {
      await api('DELETE', '/api/v1/session');
    } catch {
      // Signing out locally is what matters; the cookie expires on its own.
    }
    setCsrfToken(null);
    setWho(null);
    setSession('signed_out');
  };

  if (session === 'checking' || (session === 'signed_in' && !who)) return <p className="loading">Loading…</p>;
  if (session === 'signed_out') return <SignIn onSignedIn={signedIn} notice={signInNotice} />;

  const nav = NAV.filter((item) => !item.role || (who && item.role === who.role));
  return (
    <SessionContext.Provider value={who}>
      <div className="shell">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="topbar" data-menu-open={menuOpen || undefined}>
          <span className="brand">klaviyo-sync</span>
          <button
            type="button"
            className="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            Menu
          </button>
          <nav aria-label="Main" id="main-nav">
            <ul>
              {nav.map((item) => (
                <li key={item.to}>
                  <Link to={item.to} aria-current={isCurrent(item.to, path) ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <span className="who" data-testid="signed-in-as">
            {who?.username} <span className="role-badge">{who?.role}</span>
          </span>
          <button type="button" className="signout" onClick={signOut}>
            Sign out
          </button>
        </header>
        <main id="main" tabIndex={-1} ref={mainRef}>
          {who?.role === 'viewer' ? (
            <p className="role-notice" data-testid="viewer-notice">
              You are signed in as a <strong>viewer</strong>: you can see everything, and changes are refused.
              Ask an admin for the editor role to make changes.
            </p>
          ) : null}
          <Page path={path} search={search} />
        </main>
      </div>
    </SessionContext.Provider>
  );
}

function Page({ path, search }: { path: string; search: URLSearchParams }) {
  useEffect(() => {
    if (path === '/' || path === '/signin') navigate('/subscriptions', true);
  }, [path]);
  if (path === '/subscriptions') return <SubscriptionsList />;
  if (path === '/subscriptions/new') return <SubscriptionPage key="new" id={null} />;
  const sub = match('/subscriptions/:id', path);
  if (sub) return <SubscriptionPage key={sub.id} id={sub.id} notice={search.get('oauth')} />;
  if (path === '/mappings') return <Mappings key="none" subscriptionId={search.get('subscription')} />;
  const subMappings = match('/subscriptions/:id/mappings', path);
  if (subMappings) return <Mappings key={subMappings.id} subscriptionId={subMappings.id} />;
  if (path === '/sync') return <ManualSync subscriptionId={search.get('subscription')} />;
  if (path === '/transfers') return <TransferLog initial={search} />;
  const transfer = match('/transfers/:id', path);
  if (transfer) return <TransferPage key={transfer.id} id={transfer.id} />;
  if (path === '/dashboard') return <Dashboard />;
  if (path === '/webhooks') return <Webhooks />;
  if (path === '/alerts') return <Alerts />;
  if (path === '/tokens') return <ApiTokens />;
  if (path === '/users') return <Users />;
  if (path === '/' || path === '/signin') return null;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link to="/subscriptions">Go to the subscriptions</Link>.
      </p>
    </section>
  );
}
