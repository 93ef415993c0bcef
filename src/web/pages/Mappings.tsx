// Mapping collections of a subscription: the list, the editor of one collection and its preview.
import { useCallback, useEffect, useState } from 'react';
import { get, listData, post } from '../api.ts';
import { ErrorBanner } from '../components/ui.tsx';
import { navigate } from '../router.tsx';
import type { Collection, Subscription } from '../types.ts';
import { CollectionEditor } from './CollectionEditor.tsx';

export function SubscriptionPicker(props: {
  value: string | null;
  onChange: (id: string) => void;
  label?: string;
}) {
  const [subs, setSubs] = useState<Subscription[]>([]);
  const [error, setError] = useState<unknown>(null);
  const { value, onChange } = props;
  useEffect(() => {
    get('/api/v1/subscriptions?limit=200')
      .then((a) => setSubs(listData(a as { data: Subscription[] })))
      .catch(setError);
  }, []);
  useEffect(() => {
    if (!value && subs[0]) onChange(subs[0].id);
  }, [value, subs, onChange]);
  return (
    <>
      <ErrorBanner error={error} />
      <label className="inline-field">
        {props.label ?? 'Subscription'}
        <select value={value ?? ''} onChange={(e) => onChange(e.target.value)} name="subscription">
          {value ? null : <option value="">Choose…</option>}
          {subs.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}

export function useCollections(subscriptionId: string | null) {
  const [collections, setCollections] = useState<Collection[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(async () => {
    if (!subscriptionId) return;
    try {
      setCollections(
        listData(await get(`/api/v1/subscriptions/${encodeURIComponent(subscriptionId)}/collections`)),
      );
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [subscriptionId]);
  useEffect(() => {
    setCollections(null);
    reload();
  }, [reload]);
  return { collections, error, reload };
}

export function Mappings({ subscriptionId }: { subscriptionId: string | null }) {
  const { collections, error, reload } = useCollections(subscriptionId);
  const [selected, setSelected] = useState<string | null>(null);
  const [createError, setCreateError] = useState<unknown>(null);
  const pick = useCallback(
    (id: string) => navigate(`/subscriptions/${encodeURIComponent(id)}/mappings`, true),
    [],
  );

  const create = async () => {
    setCreateError(null);
    try {
      const created = await post<Collection | { data: Collection }>(
        `/api/v1/subscriptions/${encodeURIComponent(subscriptionId!)}/collections`,
        {
          name: 'New collection',
          type: 'customer',
          direction: 'from_hub',
          sync_type: 'add_and_update',
          parent_id: null,
          enabled: false,
          mappings: [],
        },
      );
      const c = (created as { data?: Collection }).data ?? (created as Collection);
      await reload();
      setSelected(c.id);
    } catch (err) {
      setCreateError(err);
    }
  };

  const current = collections?.find((c) => c.id === selected) ?? null;
  return (
    <section>
      <div className="page-head">
        <h1>Mappings</h1>
        <SubscriptionPicker value={subscriptionId} onChange={pick} />
      </div>
      <ErrorBanner error={error ?? createError} />
      <div className="split">
        <nav className="collection-list card" aria-label="Collections">
          <h2>Collections</h2>
          {collections === null && subscriptionId ? <p className="loading">Loading…</p> : null}
          {collections && collections.length === 0 ? <p className="empty">No collections.</p> : null}
          <ul className="collection-items">
            {collections?.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  className={`list-button${c.id === selected ? ' selected' : ''}`}
                  aria-current={c.id === selected ? 'true' : undefined}
                  onClick={() => setSelected(c.id)}
                >
                  <span>{c.name}</span>
                  <span className="muted small">
                    {c.type} · {c.direction === 'from_hub' ? 'from hub' : 'to hub'} · {c.sync_type}
                    {c.enabled ? '' : ' · disabled'}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {subscriptionId ? (
            <button type="button" onClick={create}>
              New collection
            </button>
          ) : null}
        </nav>
        <div className="editor-pane">
          {current ? (
            <CollectionEditor
              key={current.id}
              collection={current}
              siblings={collections ?? []}
              onSaved={reload}
              onDeleted={() => {
                setSelected(null);
                reload();
              }}
            />
          ) : (
            <p className="empty">Choose a collection to edit its mappings and preview it.</p>
          )}
        </div>
      </div>
    </section>
  );
}
