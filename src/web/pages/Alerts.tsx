// The Alerts page: every alert with its times and what was sent where (GET /api/v1/alerts), refreshed
// every few seconds, and below it the alert channels (docs/alerts.md).
import { useCallback, useEffect, useState } from 'react';
import type { AlertView } from '../../alerts/views.ts';
import { get, query } from '../api.ts';
import { ErrorBanner, formatTime } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import { AlertChannels } from './AlertChannels.tsx';

interface AlertList {
  data: AlertView[];
  next_cursor: string | null;
  open: number;
  checked_at: string | null;
}

const REFRESH_MS = 5000;

const KIND_TEXT: Record<string, string> = {
  paused: 'Paused',
  dead_transfers: 'Dead transfers',
  failure_rate: 'Failure rate',
  test: 'Test',
};

const CHANNEL_TEXT: Record<string, string> = { email: 'Email', slack: 'Slack', webhook: 'Webhook' };

function Notifications({ alert }: { alert: AlertView }) {
  if (alert.notifications.length === 0)
    return <p className="muted small">No channel was set up when this happened, so nothing was sent.</p>;
  return (
    <ul className="alert-notes">
      {alert.notifications.map((n) => (
        <li key={n.id} className="alert-note">
          <span
            className={`state state-${n.state === 'sent' ? 'succeeded' : n.state === 'failed' ? 'error' : 'warn'}`}
          >
            {n.state}
          </span>{' '}
          {CHANNEL_TEXT[n.channel] ?? n.channel} · {n.event}
          {n.sent_at ? <span className="muted"> · {formatTime(n.sent_at)}</span> : null}
          {n.attempts > 1 ? <span className="muted"> · {n.attempts} attempts</span> : null}
          {n.error ? <div className="small alert-error">{n.error}</div> : null}
        </li>
      ))}
    </ul>
  );
}

export function Alerts() {
  const [state, setState] = useState('');
  const [list, setList] = useState<AlertList | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setList(await get<AlertList>(`/api/v1/alerts${query({ state, limit: 100 })}`));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [state]);

  useEffect(() => {
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <section>
      <div className="page-head">
        <h1>Alerts</h1>
        <label className="inline-field">
          Show{' '}
          <select value={state} onChange={(e) => setState(e.target.value)}>
            <option value="">all alerts</option>
            <option value="open">open alerts</option>
            <option value="resolved">resolved alerts</option>
          </select>
        </label>
        {list ? (
          <span className="muted small" data-testid="alerts-summary">
            {list.open} open · last checked {formatTime(list.checked_at)}
          </span>
        ) : null}
      </div>
      <p className="muted">
        A subscription that pauses, transfers that go dead, or failures over a subscription's limit raise one
        alert per episode, sent once on each channel below, and once more when it recovers.
      </p>
      <ErrorBanner error={error} />
      {list && list.data.length === 0 ? (
        <p className="empty">No alerts{state ? ` ${state}` : ''} yet.</p>
      ) : null}
      {list && list.data.length > 0 ? (
        <ul className="alert-list" aria-label="Alerts">
          {list.data.map((a) => (
            <li key={a.id} className={`card alert-item alert-${a.state}`}>
              <div className="alert-head">
                <span className={`state ${a.state === 'open' ? 'state-error' : 'state-succeeded'}`}>
                  {a.state === 'open' ? 'Open' : a.kind === 'test' ? 'Sent' : 'Recovered'}
                </span>
                <span className="badge">{KIND_TEXT[a.kind] ?? a.kind}</span>
                <strong className="alert-title">{a.title}</strong>
              </div>
              <p className="alert-message">{a.message}</p>
              <dl className="facts small">
                <dt>Opened</dt>
                <dd>
                  <time dateTime={a.opened_at}>{formatTime(a.opened_at)}</time>
                </dd>
                {a.resolved_at && a.kind !== 'test' ? (
                  <>
                    <dt>Recovered</dt>
                    <dd>
                      <time dateTime={a.resolved_at}>{formatTime(a.resolved_at)}</time>
                      {a.resolution ? <div className="muted">{a.resolution}</div> : null}
                    </dd>
                  </>
                ) : null}
                {a.subscription_id ? (
                  <>
                    <dt>Subscription</dt>
                    <dd>
                      <Link to={`/subscriptions/${encodeURIComponent(a.subscription_id)}`}>
                        {a.subscription_name ?? a.subscription_id}
                      </Link>
                      {' · '}
                      <Link to={`/transfers?subscription=${encodeURIComponent(a.subscription_id)}`}>
                        transfer log
                      </Link>
                    </dd>
                  </>
                ) : null}
                <dt>Sent</dt>
                <dd>
                  <Notifications alert={a} />
                </dd>
              </dl>
            </li>
          ))}
        </ul>
      ) : null}
      <AlertChannels onTestSent={load} />
    </section>
  );
}
