// The live dashboard: transfers per minute by state, Klaviyo calls and 429s, queue depth and rate
// budget use per tier, from GET /api/v1/dashboard, refreshed every few seconds.
import { useEffect, useMemo, useState } from 'react';
import { get } from '../api.ts';
import { type ChartSeries, TimeChart } from '../components/Chart.tsx';
import { ErrorBanner, formatTime } from '../components/ui.tsx';
import { HealthOverview } from './SubscriptionHealth.tsx';
import type { DashboardAnswer as DashboardData } from '../types.ts';

const REFRESH_MS = 3000;
const STATE_COLORS: Record<string, string> = {
  queued: '#6b7280',
  running: '#2563eb',
  succeeded: '#15803d',
  skipped: '#a16207',
  failed: '#dc2626',
  dead: '#7f1d1d',
};
const TIER_COLORS = ['#2563eb', '#15803d', '#a16207', '#9333ea', '#dc2626', '#0891b2'];

export function Dashboard() {
  const [data, setData] = useState<DashboardData | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(true);

  useEffect(() => {
    let stopped = false;
    const load = () =>
      get<DashboardData>('/api/v1/dashboard')
        .then((d) => {
          if (!stopped) {
            setData(d);
            setError(null);
          }
        })
        .catch((err) => !stopped && setError(err));
    load();
    if (!live)
      return () => {
        stopped = true;
      };
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [live]);

  const transferSeries = useMemo<ChartSeries[]>(
    () =>
      Object.entries(data?.transfers ?? {}).map(([state, values]) => ({
        label: state,
        values,
        color: STATE_COLORS[state] ?? '#444',
      })),
    [data],
  );
  const klaviyoSeries = useMemo<ChartSeries[]>(
    () => [
      { label: 'calls', values: data?.klaviyo.calls ?? [], color: '#2563eb', fill: true },
      { label: '429s', values: data?.klaviyo.rate_limited ?? [], color: '#dc2626' },
    ],
    [data],
  );
  const queueSeries = useMemo<ChartSeries[]>(
    () => [{ label: 'waiting', values: data?.queue_depth ?? [], color: '#6b7280', fill: true }],
    [data],
  );
  const budgetSeries = useMemo<ChartSeries[]>(
    () =>
      (data?.budget_history ?? []).map((b, i) => ({
        label: b.tier,
        values: b.percent,
        color: TIER_COLORS[i % TIER_COLORS.length],
      })),
    [data],
  );

  return (
    <section>
      <div className="page-head">
        <h1>Dashboard</h1>
        <label className="inline-field">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> Refresh every{' '}
          {REFRESH_MS / 1000} s
        </label>
        {data ? (
          <span className="muted small">
            The last {data.minutes.length} minutes, per minute · updated {formatTime(data.generated_at)}
          </span>
        ) : null}
      </div>
      <ErrorBanner error={error} />
      <HealthOverview />
      {data ? (
        <>
          <ul className="stat-tiles" aria-label="Queue now">
            {Object.entries(data.queue).map(([state, n]) => (
              <li key={state} className="card">
                <span className="stat-value">{n.toLocaleString()}</span>
                <span className="muted">{state}</span>
              </li>
            ))}
          </ul>
          <div className="chart-grid">
            <TimeChart
              title="Transfers per minute by state"
              times={data.minutes}
              series={transferSeries}
              yLabel="transfers"
            />
            <TimeChart
              title="Klaviyo calls and 429s per minute"
              times={data.minutes}
              series={klaviyoSeries}
              yLabel="calls"
            />
            <TimeChart title="Queue depth" times={data.minutes} series={queueSeries} yLabel="waiting" />
            {budgetSeries.length ? (
              <TimeChart
                title="Rate budget use per tier"
                times={data.minutes}
                series={budgetSeries}
                yLabel="% used"
              />
            ) : (
              <figure className="chart card">
                <figcaption>Rate budget use per tier</figcaption>
                <p className="empty">No Klaviyo calls yet, so no budget is in use.</p>
              </figure>
            )}
          </div>
          {data.budgets.length ? (
            <table className="table compact" aria-label="Rate budgets now">
              <thead>
                <tr>
                  <th scope="col">Tier</th>
                  <th scope="col">Used</th>
                  <th scope="col">Limit</th>
                  <th scope="col">Use</th>
                </tr>
              </thead>
              <tbody>
                {data.budgets.map((b) => (
                  <tr key={b.tier}>
                    <td>{b.tier}</td>
                    <td>{b.used}</td>
                    <td>{b.limit}</td>
                    <td>
                      <meter min={0} max={b.limit || 1} value={b.used} aria-label={`${b.tier} budget use`} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {!data.klaviyo.available ? (
            <p className="muted small">
              Klaviyo call counts appear once the service has made calls in this process.
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
