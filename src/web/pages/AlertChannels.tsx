// Where alerts go (admin): the SMTP server and recipients, a Slack-compatible incoming webhook, and a
// "Send test alert" button that answers each channel's result. Secrets are never shown back: the
// password and the Slack URL appear masked, and an empty field keeps what is stored.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { AlertView } from '../../alerts/views.ts';
import type { ChannelsView } from '../../alerts/settings.ts';
import { ApiError, del, get, post, put } from '../api.ts';
import { ErrorBanner, FieldRow, formatTime, LiveNotice } from '../components/ui.tsx';
import { Link } from '../router.tsx';

const splitList = (text: string) =>
  text
    .split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

function EmailForm({ view, onSaved }: { view: ChannelsView['email']; onSaved: () => void }) {
  const [enabled, setEnabled] = useState(view?.enabled ?? true);
  const [host, setHost] = useState(view?.host ?? '');
  const [port, setPort] = useState(String(view?.port ?? 587));
  const [security, setSecurity] = useState<string>(view?.security ?? 'starttls');
  const [username, setUsername] = useState(view?.username ?? '');
  const [password, setPassword] = useState('');
  const [from, setFrom] = useState(view?.from ?? '');
  const [to, setTo] = useState((view?.to ?? []).join(', '));
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const fieldError = (name: string) =>
    error instanceof ApiError && error.field?.startsWith(name) ? error.message : null;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    try {
      await put('/api/v1/alerts/settings/email', {
        enabled,
        host,
        port: Number(port),
        security,
        username: username || null,
        // Empty: keep the stored password.
        ...(password ? { password } : {}),
        from,
        to: splitList(to),
      });
      setPassword('');
      setSaved('Email settings saved.');
      onSaved();
    } catch (err) {
      setError(err as Error);
    }
  };

  return (
    <form className="card" onSubmit={save} noValidate aria-label="Email alerts">
      <h3>Email (SMTP)</h3>
      <label className="inline-field">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Send alerts
        by email
      </label>
      <div className="field-grid">
        <FieldRow label="SMTP host" required error={fieldError('host')}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              value={host}
              onChange={(e) => setHost(e.target.value)}
              aria-required
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </FieldRow>
        <FieldRow label="Port" required error={fieldError('port')}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              inputMode="numeric"
              value={port}
              onChange={(e) => setPort(e.target.value)}
              aria-required
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </FieldRow>
        <FieldRow
          label="Security"
          hint="STARTTLS for port 587, TLS for 465; none only for a relay on this machine."
        >
          {({ id, describedBy }) => (
            <select
              id={id}
              value={security}
              onChange={(e) => setSecurity(e.target.value)}
              aria-describedby={describedBy}
            >
              <option value="starttls">STARTTLS</option>
              <option value="tls">TLS</option>
              <option value="none">None</option>
            </select>
          )}
        </FieldRow>
        <FieldRow label="Username" error={fieldError('username')}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              autoComplete="off"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </FieldRow>
        <FieldRow
          label="Password"
          hint={
            view?.password_masked
              ? `Stored (${view.password_masked}); leave empty to keep it.`
              : 'Stored encrypted.'
          }
          error={fieldError('password')}
        >
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </FieldRow>
        <FieldRow label="From" required error={fieldError('from')}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              type="email"
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              aria-required
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </FieldRow>
      </div>
      <FieldRow
        label="Recipients"
        required
        hint="Email addresses, separated by commas."
        error={fieldError('to')}
      >
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            className="wide"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            aria-required
            aria-describedby={describedBy}
            aria-invalid={invalid}
          />
        )}
      </FieldRow>
      {error && !(error instanceof ApiError && error.field) ? <ErrorBanner error={error} /> : null}
      <LiveNotice>{saved}</LiveNotice>
      <div className="actions">
        <button type="submit" className="primary">
          Save email settings
        </button>
        {view ? (
          <button
            type="button"
            onClick={async () => {
              if (!confirm('Remove the email settings and the stored password?')) return;
              await del('/api/v1/alerts/settings/email');
              onSaved();
            }}
          >
            Remove email
          </button>
        ) : null}
      </div>
    </form>
  );
}

function SlackForm({ view, onSaved }: { view: ChannelsView['slack']; onSaved: () => void }) {
  const [enabled, setEnabled] = useState(view?.enabled ?? true);
  const [url, setUrl] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    try {
      await put('/api/v1/alerts/settings/slack', { enabled, ...(url.trim() ? { url: url.trim() } : {}) });
      setUrl('');
      setSaved('Slack settings saved.');
      onSaved();
    } catch (err) {
      setError(err as Error);
    }
  };
  const urlError = error instanceof ApiError && error.field === 'slack.url' ? error.message : null;

  return (
    <form className="card" onSubmit={save} noValidate aria-label="Slack alerts">
      <h3>Slack-compatible webhook</h3>
      <label className="inline-field">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Post alerts
        to the webhook
      </label>
      <FieldRow
        label="Incoming webhook URL"
        required={!view}
        hint={
          view?.url_masked
            ? `Stored (${view.url_masked}); leave empty to keep it.`
            : 'A public https:// URL (Slack, Mattermost, Rocket.Chat, Teams workflows…), stored encrypted.'
        }
        error={urlError}
      >
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            className="wide"
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            aria-describedby={describedBy}
            aria-invalid={invalid}
          />
        )}
      </FieldRow>
      {error && !urlError ? <ErrorBanner error={error} /> : null}
      <LiveNotice>{saved}</LiveNotice>
      <div className="actions">
        <button type="submit" className="primary">
          Save Slack settings
        </button>
        {view ? (
          <button
            type="button"
            onClick={async () => {
              if (!confirm('Remove the Slack webhook URL?')) return;
              await del('/api/v1/alerts/settings/slack');
              onSaved();
            }}
          >
            Remove Slack
          </button>
        ) : null}
      </div>
    </form>
  );
}

export function AlertChannels({ onTestSent }: { onTestSent: () => void }) {
  const [view, setView] = useState<ChannelsView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [test, setTest] = useState<AlertView | null>(null);
  const [sending, setSending] = useState(false);

  const load = useCallback(async () => {
    try {
      setView(await get<ChannelsView>('/api/v1/alerts/settings'));
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  const sendTest = async () => {
    setSending(true);
    setError(null);
    setTest(null);
    try {
      setTest(await post<AlertView>('/api/v1/alerts/test'));
      onTestSent();
    } catch (err) {
      setError(err);
    } finally {
      setSending(false);
    }
  };

  return (
    <section aria-labelledby="alert-channels-title">
      <h2 id="alert-channels-title">Alert channels</h2>
      <p className="muted">
        Signed webhooks get alerts too: on the <Link to="/webhooks">Webhooks</Link> page, add an endpoint with
        the events <code>alert/opened</code> and <code>alert/resolved</code>.
      </p>
      <ErrorBanner error={error} />
      {view ? (
        <div className="alert-channel-grid">
          <EmailForm view={view.email} onSaved={load} />
          <SlackForm view={view.slack} onSaved={load} />
        </div>
      ) : null}
      <div className="card">
        <h3>Test</h3>
        <p className="muted small">Sends a test message on every channel set up above, enabled or not.</p>
        <button type="button" onClick={sendTest} disabled={sending}>
          {sending ? 'Sending…' : 'Send test alert'}
        </button>
        <LiveNotice kind="info">
          {test
            ? test.notifications.length === 0
              ? 'No channel is set up yet.'
              : `Test sent at ${formatTime(test.opened_at)}: ${test.notifications
                  .map((n) => `${n.channel} ${n.state}${n.error ? ` (${n.error})` : ''}`)
                  .join('; ')}.`
            : null}
        </LiveNotice>
      </div>
    </section>
  );
}
