import { useEffect, useState } from 'react';
import { get, type ListPage, listData } from '../api.ts';
import { ErrorBanner, StatusBadge } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import type { Subscription } from '../types.ts';

export function SubscriptionsList() {
  const [subs, setSubs] = useState<Subscription[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    get<ListPage<Subscription>>('/api/v1/subscriptions?limit=200')
      .then((answer) => setSubs(listData(answer)))
      .catch(setError);
  }, []);

  return (
    <section>
      <div className="page-head">
        <h1>Subscriptions</h1>
        <Link to="/subscriptions/new" className="button primary">
          New subscription
        </Link>
      </div>
      <ErrorBanner error={error} />
      {subs === null && !error ? <p className="loading">Loading…</p> : null}
      {subs && subs.length === 0 ? (
        <p className="empty">
          No subscriptions yet. A subscription connects the hub to one Klaviyo account.{' '}
          <Link to="/subscriptions/new">Create the first one</Link>.
        </p>
      ) : null}
      {subs && subs.length > 0 ? (
        <table className="table" aria-label="Subscriptions">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Klaviyo account</th>
              <th scope="col">Authentication</th>
              <th scope="col">
                <span className="visually-hidden">Links</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {subs.map((s) => (
              <tr key={s.id} data-subscription-id={s.id}>
                <td>
                  <Link to={`/subscriptions/${encodeURIComponent(s.id)}`}>{s.name}</Link>
                </td>
                <td>
                  <StatusBadge status={s.status} />
                  {s.status_message ? <div className="muted small">{s.status_message}</div> : null}
                </td>
                <td>{s.account_name ?? '—'}</td>
                <td>{s.auth_method === 'oauth' ? 'OAuth' : s.auth_method === 'api_key' ? 'API key' : '—'}</td>
                <td>
                  <div className="row-links">
                    <Link to={`/subscriptions/${encodeURIComponent(s.id)}/mappings`}>Mappings</Link>
                    <Link to={`/transfers?subscription=${encodeURIComponent(s.id)}`}>Transfers</Link>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
