// The transfer log: filters (subscription, state, record id, time — all applied by the server, so paging
// stays exact), the list, and each transfer's steps and payloads (redacted by the service) with retry and
// replay.
import { type FormEvent, Fragment, useCallback, useEffect, useState } from 'react';
import { get, listData, post, query } from '../api.ts';
import { ErrorBanner, formatTime, Json, LiveNotice } from '../components/ui.tsx';
import type { Subscription, Transfer, TransferDetail, TransferStep } from '../types.ts';
import { TRANSFER_STATES } from '../types.ts';

interface Filters {
  subscription: string;
  state: string;
  record: string;
  from: string;
  to: string;
}

function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function TransferLog({ initial }: { initial: URLSearchParams }) {
  const [filters, setFilters] = useState<Filters>({
    subscription: initial.get('subscription') ?? '',
    state: initial.get('state') ?? '',
    record: initial.get('record') ?? '',
    from: '',
    to: '',
  });
  const [applied, setApplied] = useState(filters);
  const [rows, setRows] = useState<Transfer[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [subs, setSubs] = useState<Subscription[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    get('/api/v1/subscriptions?limit=200')
      .then((a) => setSubs(listData(a as { data: Subscription[] })))
      .catch(() => {});
  }, []);

  const params = useCallback(
    (f: Filters, after?: string | null) =>
      query({
        subscription: f.subscription,
        state: f.state,
        record: f.record.trim(),
        created_after: toIso(f.from),
        created_before: toIso(f.to),
        limit: 100,
        cursor: after ?? undefined,
      }),
    [],
  );

  const load = useCallback(
    async (f: Filters) => {
      setError(null);
      try {
        const page = await get<{ data: Transfer[]; next_cursor: string | null }>(
          `/api/v1/transfers${params(f)}`,
        );
        setRows(listData(page));
        setCursor(page.next_cursor ?? null);
      } catch (err) {
        setError(err);
      }
    },
    [params],
  );

  useEffect(() => {
    load(applied);
  }, [applied, load]);

  const more = async () => {
    try {
      const page = await get<{ data: Transfer[]; next_cursor: string | null }>(
        `/api/v1/transfers${params(applied, cursor)}`,
      );
      setRows((r) => [...(r ?? []), ...listData(page)]);
      setCursor(page.next_cursor ?? null);
    } catch (err) {
      setError(err);
    }
  };

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setApplied({ ...filters });
  };

  const replay = async () => {
    const which = applied.state === 'failed' || applied.state === 'dead' ? applied.state : undefined;
    if (!confirm(`Replay every ${which ?? 'failed and dead'} transfer matching the filters?`)) return;
    setError(null);
    try {
      const answer = await post<{ queued: number; superseded?: number }>('/api/v1/transfers/replay', {
        subscription_id: applied.subscription || undefined,
        state: which,
        record_id: applied.record.trim() || undefined,
        created_after: toIso(applied.from),
        created_before: toIso(applied.to),
      });
      const n = answer?.queued ?? 0;
      const skippedNote = answer?.superseded
        ? ` (${answer.superseded} already had a newer transfer waiting)`
        : '';
      setNotice(`Replay queued for ${n} transfer${n === 1 ? '' : 's'}${skippedNote}.`);
      load(applied);
    } catch (err) {
      setError(err);
    }
  };

  const set = (key: keyof Filters, value: string) => setFilters((f) => ({ ...f, [key]: value }));
  return (
    <section>
      <h1>Transfer log</h1>
      <form className="filters card" onSubmit={apply} aria-label="Transfer filters">
        <label>
          Subscription
          <select
            value={filters.subscription}
            onChange={(e) => set('subscription', e.target.value)}
            name="subscription"
          >
            <option value="">All</option>
            {subs.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select value={filters.state} onChange={(e) => set('state', e.target.value)} name="state">
            <option value="">All</option>
            {TRANSFER_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Record id
          <input value={filters.record} onChange={(e) => set('record', e.target.value)} name="record" />
        </label>
        <label>
          From
          <input
            type="datetime-local"
            value={filters.from}
            onChange={(e) => set('from', e.target.value)}
            name="from"
          />
        </label>
        <label>
          To
          <input
            type="datetime-local"
            value={filters.to}
            onChange={(e) => set('to', e.target.value)}
            name="to"
          />
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button type="button" onClick={() => load(applied)}>
            Refresh
          </button>
          <button type="button" onClick={replay}>
            Replay failed
          </button>
        </div>
      </form>
      <ErrorBanner error={error} />
      <LiveNotice>{notice}</LiveNotice>
      {rows === null && !error ? <p className="loading">Loading…</p> : null}
      {rows ? <TransferTable transfers={rows} onChanged={() => load(applied)} /> : null}
      {cursor ? (
        <button type="button" onClick={more}>
          Load more
        </button>
      ) : null}
    </section>
  );
}

export function TransferTable({ transfers, onChanged }: { transfers: Transfer[]; onChanged?: () => void }) {
  const [open, setOpen] = useState<string | null>(null);
  if (transfers.length === 0) return <p className="empty">No transfers match.</p>;
  return (
    <table className="table transfers" aria-label="Transfers">
      <thead>
        <tr>
          <th scope="col">Created</th>
          <th scope="col">Record</th>
          <th scope="col">Flow</th>
          <th scope="col">State</th>
          <th scope="col">Attempts</th>
          <th scope="col">Error</th>
          <th scope="col">
            <span className="visually-hidden">Details</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {transfers.map((t) => (
          <Fragment key={t.id}>
            <tr data-transfer-id={t.id} data-record-id={t.record_id}>
              <td>{formatTime(t.created_at)}</td>
              <td className="mono">{t.record_id}</td>
              <td>
                {t.flow}{' '}
                <span className="muted small">({t.direction === 'from_hub' ? '→ Klaviyo' : '→ hub'})</span>
              </td>
              <td>
                <span className={`state state-${t.state}`}>{t.state}</span>
              </td>
              <td>{t.attempts}</td>
              <td>
                {t.error_code ? <code>{t.error_code}</code> : null} {t.error_message ?? ''}
              </td>
              <td>
                <button
                  type="button"
                  aria-expanded={open === t.id}
                  aria-controls={`transfer-${t.id}`}
                  onClick={() => setOpen(open === t.id ? null : t.id)}
                >
                  {open === t.id ? 'Hide steps' : 'Steps'}
                  <span className="visually-hidden"> of transfer {t.record_id}</span>
                </button>
              </td>
            </tr>
            {open === t.id ? (
              <tr id={`transfer-${t.id}`} className="detail-row">
                <td colSpan={7} className="detail-cell">
                  <TransferSteps id={t.id} onChanged={onChanged} />
                </td>
              </tr>
            ) : null}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}

function TransferSteps({ id, onChanged }: { id: string; onChanged?: () => void }) {
  const [detail, setDetail] = useState<TransferDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(() => {
    get<TransferDetail | { data: TransferDetail }>(`/api/v1/transfers/${encodeURIComponent(id)}`)
      .then((a) => setDetail((a as { data?: TransferDetail }).data ?? (a as TransferDetail)))
      .catch(setError);
  }, [id]);
  useEffect(load, [load]);

  const retry = async () => {
    setError(null);
    try {
      await post(`/api/v1/transfers/${encodeURIComponent(id)}/retry`);
      setNotice('Retry queued.');
      load();
      onChanged?.();
    } catch (err) {
      setError(err);
    }
  };

  if (error && !detail) return <ErrorBanner error={error} />;
  if (!detail) return <p className="loading">Loading steps…</p>;
  const steps = detail.steps ?? [];
  return (
    <div className="transfer-detail">
      <dl className="facts">
        <dt>Tracking id</dt>
        <dd className="mono">{detail.tracking_id}</dd>
        <dt>Collection</dt>
        <dd className="mono">{detail.collection_id ?? '—'}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(detail.updated_at)}</dd>
      </dl>
      <div className="toolbar">
        <button type="button" onClick={retry} disabled={!['failed', 'dead'].includes(detail.state)}>
          Retry
        </button>
        {notice ? <span role="status">{notice}</span> : null}
      </div>
      <ErrorBanner error={error} />
      {steps.length === 0 ? <p className="muted">No steps logged yet.</p> : null}
      <ol className="steps">
        {steps.map((s, i) => (
          <li key={s.id ?? i} className={`step step-${s.level}`}>
            <StepView step={s} />
          </li>
        ))}
      </ol>
    </div>
  );
}

function StepView({ step }: { step: TransferStep }) {
  const title = step.kind;
  return (
    <>
      <div className="step-head">
        <strong>{title}</strong> <span className="muted small">{formatTime(step.at)}</span>
        {step.level !== 'info' ? <span className={`state state-${step.level}`}>{step.level}</span> : null}
      </div>
      {step.message ? <div>{step.message}</div> : null}
      {step.data !== undefined && step.data !== null ? (
        <Json value={step.data} label={`${title} payload`} />
      ) : null}
    </>
  );
}
