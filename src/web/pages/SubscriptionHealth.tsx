// Subscription health at a glance: on a subscription's page the last success, the backlog with its drain
// rate and ETA, failures in the last hour and day by code, a 24-hour chart, and the subscription's alert
// rules; on the dashboard one row per subscription (GET /api/v1/subscriptions/:id/health,
// GET /api/v1/health/subscriptions).
import { type FormEvent, useCallback, useEffect, useMemo, useState } from 'react';
import type { AlertRules } from '../../alerts/settings.ts';
import type { SubscriptionHealth } from '../../health/health.ts';
import { ApiError, get, put } from '../api.ts';
import { type ChartSeries, TimeChart } from '../components/Chart.tsx';
import { ErrorBanner, FieldRow, formatTime, LiveNotice, StatusBadge } from '../components/ui.tsx';
import { Link } from '../router.tsx';

const REFRESH_MS = 5000;

export function formatEta(seconds: number | null, note: string | null): string {
  if (seconds === null) {
    if (note === 'empty') return 'Nothing waiting';
    if (note === 'paused') return 'Paused: not draining';
    if (note === 'growing') return 'Growing faster than it drains';
    return 'Not draining';
  }
  if (seconds < 90) return `about ${seconds} s`;
  if (seconds < 5400) return `about ${Math.round(seconds / 60)} min`;
  return `about ${Math.round(seconds / 360) / 10} h`;
}

function ago(iso: string | null): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

function FailureTable({
  caption,
  groups,
}: {
  caption: string;
  groups: SubscriptionHealth['failures']['last_hour'];
}) {
  if (groups.total === 0) return <p className="muted small">{caption}: no failures.</p>;
  return (
    <table className="table compact health-failures">
      <caption>
        {caption}: {groups.total.toLocaleString()} failed
      </caption>
      <thead>
        <tr>
          <th scope="col">Code</th>
          <th scope="col">Count</th>
          <th scope="col">Latest message</th>
        </tr>
      </thead>
      <tbody>
        {groups.by_code.map((g) => (
          <tr key={g.code}>
            <td>
              <code>{g.code}</code>
            </td>
            <td>{g.count.toLocaleString()}</td>
            <td className="small">{g.example ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function HealthPanel({ subscriptionId }: { subscriptionId: string }) {
  const [health, setHealth] = useState<SubscriptionHealth | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let stopped = false;
    const load = () =>
      get<SubscriptionHealth>(`/api/v1/subscriptions/${encodeURIComponent(subscriptionId)}/health`)
        .then((h) => {
          if (!stopped) {
            setHealth(h);
            setError(null);
          }
        })
        .catch((err) => !stopped && setError(err));
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [subscriptionId]);

  const series = useMemo<ChartSeries[]>(
    () => [
      { label: 'done', values: health?.chart.succeeded ?? [], color: '#15803d' },
      { label: 'failed', values: health?.chart.failed ?? [], color: '#dc2626' },
      { label: 'queue peak', values: health?.chart.queue_peak ?? [], color: '#6b7280', fill: true },
    ],
    [health],
  );

  return (
    <section className="card health" aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      <ErrorBanner error={error} />
      {health ? (
        <>
          <ul className="stat-tiles" aria-label="Health now">
            <li className="card">
              <span className="stat-value" data-testid="last-success">
                {ago(health.last_success_at)}
              </span>
              <span className="muted">last successful transfer</span>
            </li>
            <li className="card">
              <span className="stat-value" data-testid="backlog">
                {health.backlog.total.toLocaleString()}
              </span>
              <span className="muted">waiting ({health.backlog.retrying.toLocaleString()} to retry)</span>
            </li>
            <li className="card">
              <span className="stat-value">{health.drain.done_per_minute.toLocaleString()}/min</span>
              <span className="muted">
                drain rate ({health.drain.arriving_per_minute.toLocaleString()}/min in)
              </span>
            </li>
            <li className="card">
              <span className="stat-value" data-testid="eta">
                {formatEta(health.drain.eta_seconds, health.drain.eta_note)}
              </span>
              <span className="muted">until the backlog is sent</span>
            </li>
          </ul>
          {health.paused ? (
            <p className="banner banner-warn">
              Paused since {formatTime(health.paused.paused_at)} ({health.paused.code}):{' '}
              {health.paused.message}
            </p>
          ) : null}
          <TimeChart
            title="Last 24 hours (per 10 minutes)"
            times={health.chart.buckets}
            series={series}
            yLabel="transfers"
            height={180}
          />
          <div className="health-failure-grid">
            <FailureTable caption="Last hour" groups={health.failures.last_hour} />
            <FailureTable caption="Last 24 hours" groups={health.failures.last_day} />
          </div>
          <p className="small">
            <Link to={`/transfers?subscription=${encodeURIComponent(subscriptionId)}&state=failed`}>
              Failed transfers in the log
            </Link>{' '}
            · <Link to="/alerts">Alerts</Link>
          </p>
        </>
      ) : null}
    </section>
  );
}

export function AlertRulesForm({ subscriptionId }: { subscriptionId: string }) {
  const [rules, setRules] = useState<AlertRules | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [form, setForm] = useState({
    paused: true,
    dead: true,
    window: '60',
    maxFailures: '',
    maxPercent: '',
    minTransfers: '10',
    emailTo: '',
  });

  const load = useCallback(async () => {
    try {
      const r = await get<AlertRules>(
        `/api/v1/subscriptions/${encodeURIComponent(subscriptionId)}/alert-rules`,
      );
      setRules(r);
      setForm({
        paused: r.paused,
        dead: r.dead_transfers,
        window: String(r.failure_window_minutes),
        maxFailures: r.max_failures === null ? '' : String(r.max_failures),
        maxPercent: r.max_failure_percent === null ? '' : String(r.max_failure_percent),
        minTransfers: String(r.min_transfers),
        emailTo: (r.email_to ?? []).join(', '),
      });
    } catch (err) {
      setError(err);
    }
  }, [subscriptionId]);
  useEffect(() => {
    load();
  }, [load]);

  const num = (text: string) => (text.trim() === '' ? null : Number(text));
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    try {
      const r = await put<AlertRules>(
        `/api/v1/subscriptions/${encodeURIComponent(subscriptionId)}/alert-rules`,
        {
          paused: form.paused,
          dead_transfers: form.dead,
          failure_window_minutes: Number(form.window),
          max_failures: num(form.maxFailures),
          max_failure_percent: num(form.maxPercent),
          min_transfers: Number(form.minTransfers),
          email_to: form.emailTo.trim() ? form.emailTo.split(/[,;\s]+/).filter(Boolean) : null,
        },
      );
      setRules(r);
      setSaved('Alert rules saved.');
    } catch (err) {
      setError(err);
    }
  };
  const fieldError = (name: string) =>
    error instanceof ApiError && error.field?.startsWith(name) ? error.message : null;
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value });

  if (!rules) return <ErrorBanner error={error} />;
  return (
    <form className="card" onSubmit={save} noValidate aria-labelledby="alert-rules-title">
      <h2 id="alert-rules-title">Alerts</h2>
      <p className="muted small">
        Where alerts go is set on the <Link to="/alerts">Alerts</Link> page. Leave both failure limits empty
        to alert on pauses and dead transfers only.
      </p>
      <label className="inline-field">
        <input
          type="checkbox"
          checked={form.paused}
          onChange={(e) => setForm({ ...form, paused: e.target.checked })}
        />{' '}
        When the subscription pauses (authorization revoked, key rejected, revision retired, error)
      </label>
      <label className="inline-field">
        <input
          type="checkbox"
          checked={form.dead}
          onChange={(e) => setForm({ ...form, dead: e.target.checked })}
        />{' '}
        When transfers go dead (no attempts left)
      </label>
      <div className="field-grid">
        <FieldRow label="Window (minutes)" error={fieldError('failure_window_minutes')}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              inputMode="numeric"
              value={form.window}
              onChange={set('window')}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </FieldRow>
        <FieldRow label="Alert above this many failures" error={fieldError('max_failures')}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              inputMode="numeric"
              value={form.maxFailures}
              onChange={set('maxFailures')}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </FieldRow>
        <FieldRow label="Alert above this % failed" error={fieldError('max_failure_percent')}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              inputMode="decimal"
              value={form.maxPercent}
              onChange={set('maxPercent')}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </FieldRow>
        <FieldRow label="…once at least this many ended" error={fieldError('min_transfers')}>
          {({ id, describedBy, invalid }) => (
            <input
              id={id}
              inputMode="numeric"
              value={form.minTransfers}
              onChange={set('minTransfers')}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </FieldRow>
      </div>
      <FieldRow
        label="Also email"
        hint="Extra recipients for this subscription's alerts, separated by commas."
        error={fieldError('email_to')}
      >
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            className="wide"
            value={form.emailTo}
            onChange={set('emailTo')}
            aria-describedby={describedBy}
            aria-invalid={invalid}
          />
        )}
      </FieldRow>
      {error && !(error instanceof ApiError && error.field) ? <ErrorBanner error={error} /> : null}
      <LiveNotice>{saved}</LiveNotice>
      <div className="actions">
        <button type="submit" className="primary">
          Save alert rules
        </button>
      </div>
    </form>
  );
}

interface OverviewRow {
  id: string;
  name: string;
  status: string;
  paused: { code: string } | null;
  last_success_at: string | null;
  backlog: number;
  eta_seconds: number | null;
  eta_note: string | null;
  failures_last_hour: number;
  failures_last_day: number;
  open_alerts: string[];
}

/** The dashboard's "at a glance" list: one card per subscription, narrow enough for a phone. */
export function HealthOverview() {
  const [rows, setRows] = useState<OverviewRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      get<{ data: OverviewRow[] }>('/api/v1/health/subscriptions')
        .then((a) => {
          if (stopped) return;
          setRows(a.data);
          setError(null);
        })
        .catch((err) => !stopped && setError(err));
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title">Subscriptions at a glance</h2>
      <ErrorBanner error={error} />
      {rows && rows.length === 0 ? <p className="empty">No subscriptions yet.</p> : null}
      <ul className="health-overview">
        {(rows ?? []).map((r) => (
          <li key={r.id} className="card health-card">
            <div className="alert-head">
              <Link to={`/subscriptions/${encodeURIComponent(r.id)}`}>
                <strong>{r.name}</strong>
              </Link>
              <StatusBadge status={r.status} />
              {r.paused ? <span className="state state-warn">paused ({r.paused.code})</span> : null}
            </div>
            <dl className="facts small">
              <dt>Last success</dt>
              <dd>{ago(r.last_success_at)}</dd>
              <dt>Waiting</dt>
              <dd>
                {r.backlog.toLocaleString()} · {formatEta(r.eta_seconds, r.eta_note)}
              </dd>
              <dt>Failures</dt>
              <dd>
                {r.failures_last_hour.toLocaleString()} last hour · {r.failures_last_day.toLocaleString()}{' '}
                last 24 h
              </dd>
              {r.open_alerts.length ? (
                <>
                  <dt>Open alerts</dt>
                  <dd>
                    <Link to="/alerts">{r.open_alerts.join('; ')}</Link>
                  </dd>
                </>
              ) : null}
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}
