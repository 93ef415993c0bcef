// Outbound hub webhooks (docs/webhooks.md): the endpoints, a form to add one, and per endpoint enable/disable,
// rotate the signing secret and delete. A new secret is shown once, right here, and never again.
import { type FormEvent, useCallback, useEffect, useState, useRef } from 'react';
import { ApiError, del, get, listData, patch, post } from '../api.ts';
import { ErrorBanner, FieldRow, Notice } from '../components/ui.tsx';

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  subscription_ids: string[] | null;
  enabled: boolean;
  secret_masked: string | null;
}

const EVENTS = ['customer/created', 'customer/updated', 'customer/deleted', 'alert/opened', 'alert/resolved'];

export function Webhooks() {
  const [endpoints, setEndpoints] = useState<Endpoint[] | null>(null);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['customer/created', 'customer/updated']);
  const [urlError, setUrlError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [shown, setShown] = useState<{ url: string; secret: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const urlRef = useRef<HTMLInputElement>(null);
  const doneRef = useRef<HTMLButtonElement>(null);

  // A new secret is shown above the form, away from the button that made it: the focus goes to it so a
  // keyboard or screen-reader user lands on the secret, and a refused URL takes the focus back.
  useEffect(() => {
    if (shown) doneRef.current?.focus();
  }, [shown]);
  useEffect(() => {
    if (urlError) urlRef.current?.focus();
  }, [urlError]);

  const load = useCallback(async () => {
    setEndpoints(listData(await get<{ data: Endpoint[] }>('/api/v1/webhooks')));
  }, []);
  useEffect(() => {
    load().catch(setError);
  }, [load]);

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const add = (e: FormEvent) => {
    e.preventDefault();
    setUrlError(null);
    if (!url.trim()) return setUrlError('Enter the receiver URL.');
    return act(async () => {
      try {
        const made = await post<Endpoint & { secret: string }>('/api/v1/webhooks', {
          url: url.trim(),
          events,
        });
        setShown({ url: made.url, secret: made.secret });
        setUrl('');
      } catch (err) {
        if (err instanceof ApiError && err.field === 'url') setUrlError(err.message);
        else throw err;
      }
    });
  };

  const rotate = (endpoint: Endpoint) =>
    act(async () => {
      const rotated = await post<Endpoint & { secret: string }>(
        `/api/v1/webhooks/${encodeURIComponent(endpoint.id)}/rotate-secret`,
      );
      setShown({ url: rotated.url, secret: rotated.secret });
    });

  return (
    <section>
      <h1>Webhooks</h1>
      <p className="muted">
        Hub records changed by Klaviyo are announced to these endpoints by a signed POST (see
        docs/webhooks.md). Deliveries appear in the transfer log as the flow <code>hub-webhook</code>.
      </p>
      <ErrorBanner error={error} />
      {shown ? (
        <Notice kind="warn">
          Signing secret for {shown.url} — copy it now, it is not shown again:{' '}
          <code data-testid="signing-secret">{shown.secret}</code>{' '}
          <button
            type="button"
            ref={doneRef}
            onClick={() => {
              setShown(null);
              urlRef.current?.focus();
            }}
          >
            Done
          </button>
        </Notice>
      ) : null}
      <form className="card" onSubmit={add} noValidate aria-label="Add a webhook endpoint">
        <h2>Add an endpoint</h2>
        <FieldRow label="Receiver URL" required hint="A public https:// URL." error={urlError}>
          {({ id, describedBy, invalid }) => (
            <input
              ref={urlRef}
              id={id}
              name="url"
              type="url"
              aria-required
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
            />
          )}
        </FieldRow>
        <fieldset>
          <legend>Events</legend>
          {EVENTS.map((event) => (
            <label key={event} className="checkbox">
              <input
                type="checkbox"
                name="events"
                value={event}
                checked={events.includes(event)}
                onChange={(e) =>
                  setEvents((now) => (e.target.checked ? [...now, event] : now.filter((x) => x !== event)))
                }
              />{' '}
              {event}
            </label>
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" disabled={busy || events.length === 0}>
            Add endpoint
          </button>
        </div>
      </form>
      {endpoints === null ? (
        <p className="loading">Loading…</p>
      ) : endpoints.length === 0 ? (
        <p>No endpoints yet.</p>
      ) : (
        <table className="table" aria-label="Webhook endpoints">
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Secret</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((endpoint) => (
              <tr key={endpoint.id} data-webhook-id={endpoint.id}>
                <td className="mono">{endpoint.url}</td>
                <td>{endpoint.events.join(', ')}</td>
                <td className="mono">{endpoint.secret_masked ?? '—'}</td>
                <td>{endpoint.enabled ? 'enabled' : 'disabled'}</td>
                <td>
                  <div className="actions">
                    <button
                      type="button"
                      disabled={busy}
                      aria-label={`${endpoint.enabled ? 'Disable' : 'Enable'} ${endpoint.url}`}
                      onClick={() =>
                        act(async () => {
                          await patch(`/api/v1/webhooks/${encodeURIComponent(endpoint.id)}`, {
                            enabled: !endpoint.enabled,
                          });
                        })
                      }
                    >
                      {endpoint.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button
                      type="button"
                      disabled={busy}
                      aria-label={`Rotate the secret of ${endpoint.url}`}
                      onClick={() => {
                        // The receiver refuses deliveries signed with the new secret until it has it.
                        if (
                          confirm(
                            `Rotate the signing secret of ${endpoint.url}? The receiver must be given the new one.`,
                          )
                        )
                          rotate(endpoint);
                      }}
                    >
                      Rotate secret
                    </button>
                    <button
                      type="button"
                      className="danger"
                      disabled={busy}
                      aria-label={`Delete ${endpoint.url}`}
                      onClick={() => {
                        if (
                          !confirm(`Delete the webhook endpoint ${endpoint.url}? It receives nothing more.`)
                        )
                          return;
                        act(async () => {
                          await del(`/api/v1/webhooks/${encodeURIComponent(endpoint.id)}`);
                        });
                      }}
                    >
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
