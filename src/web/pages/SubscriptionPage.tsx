// One subscription: its status and Klaviyo account, the toolbar (Authenticate, Test connection, Unlink,
// Initialize), the OAuth tokens (masked), the settings form, outbound data flows and the webhook key.
import { useCallback, useEffect, useState } from 'react';
import { ApiError, del, get, patch, post } from '../api.ts';
import { ErrorBanner, formatTime, Notice, StatusBadge } from '../components/ui.tsx';
import { Link, navigate } from '../router.tsx';
import type { Subscription } from '../types.ts';
import { FlowToggles, FreshWebhookKey, WebhookKey } from './SubscriptionExtras.tsx';
import { SettingsForm } from './SettingsForm.tsx';
import { AlertRulesForm, HealthPanel } from './SubscriptionHealth.tsx';

const INITIALIZE_REASON =
  'Initialization is not supported for Klaviyo: records flow through outbound triggers, polling and manual sync.';

/**
 * The webhook key is shown in full once, in the create answer; it is handed to the subscription's page
 * in memory only (never in storage or the address) and forgotten once shown.
 */
let freshWebhookKey: { id: string; key: string } | null = null;

function takeFreshWebhookKey(id: string): string | null {
  if (freshWebhookKey?.id !== id) return null;
  const { key } = freshWebhookKey;
  freshWebhookKey = null;
  return key;
}

/** Create answers the subscription, or {data: subscription}, or {subscription}; accept each. */
function unwrap(answer: unknown): Subscription {
  const a = answer as { data?: Subscription; subscription?: Subscription } & Subscription;
  return a.subscription ?? (a.data && !Array.isArray(a.data) ? a.data : a);
}

export function SubscriptionPage({ id, notice }: { id: string | null; notice?: string | null }) {
  const [sub, setSub] = useState<Subscription | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [createdKey] = useState(() => (id ? takeFreshWebhookKey(id) : null));

  const load = useCallback(async () => {
    if (!id) return;
    try {
      setSub(unwrap(await get(`/api/v1/subscriptions/${encodeURIComponent(id)}`)));
      setLoadError(null);
    } catch (err) {
      setLoadError(err);
    }
  }, [id]);

  useEffect(() => {
    setSub(null);
    setMessage(null);
    setActionError(null);
    load();
  }, [load]);

  const connectedMessage = (s: Subscription) =>
    s.status === 'connected'
      ? `Connected to Klaviyo account ${s.account_name ?? s.account_id ?? ''}`.trim()
      : s.status_message
        ? `Connection: ${s.status_message}`
        : null;

  const save = async (body: Record<string, unknown>) => {
    setActionError(null);
    if (!id) {
      const created = unwrap(await post('/api/v1/subscriptions', body));
      if (created.webhook_api_key) freshWebhookKey = { id: created.id, key: created.webhook_api_key };
      navigate(
        `/subscriptions/${encodeURIComponent(created.id)}${created.status === 'connected' ? '?saved=1' : ''}`,
      );
      return;
    }
    const updated = unwrap(await patch(`/api/v1/subscriptions/${encodeURIComponent(id)}`, body));
    setSub(updated);
    setMessage(`Saved. ${updated.status === 'connected' ? (connectedMessage(updated) ?? '') : ''}`.trim());
  };

  const act = async (name: string, run: () => Promise<void>) => {
    setBusy(name);
    setActionError(null);
    setMessage(null);
    try {
      await run();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(null);
    }
  };

  const testConnection = () =>
    act('test', async () => {
      let answer: unknown;
      try {
        answer = await post(`/api/v1/subscriptions/${encodeURIComponent(id!)}/test`);
      } finally {
        await load();
      }
      const s = unwrap(answer);
      // A failed test shows in the status banners above; only success earns the green note.
      if (s.status === 'connected') setMessage(connectedMessage(s));
    });

  const unlink = () => {
    if (!confirm('Unlink Klaviyo? The refresh token is revoked at Klaviyo and the tokens are deleted.'))
      return;
    act('unlink', async () => {
      await post(`/api/v1/subscriptions/${encodeURIComponent(id!)}/oauth/unlink`);
      await load();
      setMessage('Unlinked: the tokens were revoked and deleted.');
    });
  };

  const remove = () => {
    if (!confirm(`Delete subscription “${sub?.name}”? Its mappings and links are deleted too.`)) return;
    act('delete', async () => {
      await del(`/api/v1/subscriptions/${encodeURIComponent(id!)}`);
      navigate('/subscriptions');
    });
  };

  if (!id) {
    return (
      <section>
        <h1>New subscription</h1>
        <SettingsForm subscription={null} onSave={save} />
      </section>
    );
  }
  if (loadError) {
    return (
      <section>
        <h1>Subscription</h1>
        <ErrorBanner error={loadError} />
        {loadError instanceof ApiError && loadError.status === 404 ? (
          <Link to="/subscriptions">Back to the subscriptions</Link>
        ) : null}
      </section>
    );
  }
  if (!sub) return <p className="loading">Loading…</p>;

  const oauthStart = `/api/v1/subscriptions/${encodeURIComponent(sub.id)}/oauth/start`;
  const isOauth =
    sub.auth_method === 'oauth' || Boolean(sub.access_token) || sub.status === 'needs_authorization';
  const initialNotice =
    message ?? (notice === 'connected' || location.search.includes('saved=1') ? connectedMessage(sub) : null);

  return (
    <section>
      <div className="page-head">
        <h1>{sub.name}</h1>
        <StatusBadge status={sub.status} />
      </div>
      {sub.status === 'authorization_revoked' ? (
        <div className="banner banner-error" role="alert">
          {isOauth ? (
            <>
              <strong>Klaviyo access was removed — click Authenticate to reconnect.</strong> Transfers wait
              until it is back. <a href={oauthStart}>Authenticate</a>
            </>
          ) : (
            <>
              <strong>Klaviyo rejected the API key.</strong> Enter a new private key below and save, or switch
              to OAuth with <a href={oauthStart}>Authenticate</a>. Transfers wait until it is back.
            </>
          )}
        </div>
      ) : null}
      {sub.status === 'needs_authorization' ? (
        <Notice kind="warn">
          OAuth is chosen but not done yet: click <a href={oauthStart}>Authenticate</a> to connect a Klaviyo
          account.
        </Notice>
      ) : null}
      {sub.status === 'error' && sub.status_message ? (
        <div className="banner banner-error" role="alert">
          Last connection check failed: {sub.status_message}
        </div>
      ) : null}
      {initialNotice ? <Notice kind="success">{initialNotice}</Notice> : null}
      {createdKey ? <FreshWebhookKey value={createdKey} /> : null}
      <ErrorBanner error={actionError} />

      <div className="toolbar" role="toolbar" aria-label="Subscription actions">
        <a className="button" href={oauthStart}>
          Authenticate
        </a>
        <button type="button" onClick={testConnection} disabled={busy !== null}>
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>
        <button type="button" onClick={unlink} disabled={busy !== null || !isOauth}>
          Unlink
        </button>
        <button type="button" disabled aria-describedby="initialize-reason">
          Initialize
        </button>
        <Link className="button" to={`/subscriptions/${encodeURIComponent(sub.id)}/mappings`}>
          Mappings
        </Link>
        <Link className="button" to={`/sync?subscription=${encodeURIComponent(sub.id)}`}>
          Manual sync
        </Link>
        <button type="button" className="danger" onClick={remove} disabled={busy !== null}>
          Delete
        </button>
      </div>
      <p id="initialize-reason" className="muted small">
        Initialize is disabled. {INITIALIZE_REASON}
      </p>

      <div className="card">
        <h2>Klaviyo connection</h2>
        <dl className="facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={sub.status} /> {sub.status_message ?? ''}
          </dd>
          <dt>Klaviyo account</dt>
          <dd data-testid="account-name">
            {sub.account_name ?? '—'}
            {sub.account_id ? <span className="muted"> ({sub.account_id})</span> : null}
          </dd>
          <dt>Authentication</dt>
          <dd>{isOauth ? 'OAuth' : sub.api_key ? 'Private API key' : 'None yet'}</dd>
          {sub.api_key ? (
            <>
              <dt>API Key</dt>
              <dd>
                <code>{sub.api_key}</code>
              </dd>
            </>
          ) : null}
          {isOauth ? (
            <>
              <dt>Access Token</dt>
              <dd>
                <code data-testid="access-token">{sub.access_token ?? '—'}</code>
              </dd>
              <dt>Access token expires</dt>
              <dd data-testid="access-token-expiry">{formatTime(sub.access_token_expires_at)}</dd>
              <dt>Refresh Token</dt>
              <dd>
                <code data-testid="refresh-token">{sub.refresh_token ?? '—'}</code>
              </dd>
            </>
          ) : null}
        </dl>
      </div>

      <HealthPanel subscriptionId={sub.id} />

      <h2>Settings</h2>
      <SettingsForm key={sub.updated_at ?? sub.id} subscription={sub} onSave={save} />
      <FlowToggles subscriptionId={sub.id} />
      <WebhookKey subscription={sub} />
      <AlertRulesForm subscriptionId={sub.id} />
    </section>
  );
}
