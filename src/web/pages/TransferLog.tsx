// The transfer log: a search (hub id, Klaviyo id or email) and filters, all applied by the server so
// paging stays exact; the failures grouped by error code with what each means; replaying all that match
// in one call; the CSV export of the same rows; the list with collection names, each transfer's steps and
// payloads (redacted by the service), and a page of its own for each transfer (docs/console.md).
import { type FormEvent, Fragment, useCallback, useEffect, useState } from 'react';
import { get, listData, post, query } from '../api.ts';
import { ErrorBanner, formatTime, Json, LiveNotice } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import type { Subscription, Transfer, TransferDetail, TransferStep } from '../types.ts';
import { TRANSFER_STATES } from '../types.ts';

interface Filters {
  subscription: string;
  state: string;
  search: string;
  error_code: string;
  from: string;
  to: string;
}

interface FailureGroup {
  error_code: string | null;
  count: number;
  explanation: string | null;
}

function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The filter as the list, failures and export routes take it (one query string for all three). */
function filterQuery(f: Filters): Record<string, string | undefined> {
  return {
    subscription: f.subscription || undefined,
    state: f.state || undefined,
    q: f.search.trim() || undefined,
    error_code: f.error_code || undefined,
    created_after: toIso(f.from),
    created_before: toIso(f.to),
  };
}

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function TransferLog({ initial }: { initial: URLSearchParams }) {
  const [filters, setFilters] = useState<Filters>({
    subscription: initial.get('subscription') ?? '',
    state: initial.get('state') ?? '',
    search: initial.get('q') ?? initial.get('record') ?? '',
    error_code: initial.get('error_code') ?? '',
    from: '',
    to: '',
  });
  const [applied, setApplied] = useState(filters);
  const [rows, setRows] = useState<Transfer[] | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [groups, setGroups] = useState<FailureGroup[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [subs, setSubs] = useState<Subscription[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get('/api/v1/subscriptions?limit=200')
      .then((a) => setSubs(listData(a as { data: Subscription[] })))
      .catch(() => {});
  }, []);

  const load = useCallback(async (f: Filters) => {
    setError(null);
    try {
      const [page, failures] = await Promise.all([
        get<{ data: Transfer[]; next_cursor: string | null; total?: number }>(
          `/api/v1/transfers${query({ ...filterQuery(f), limit: 100, total: 1 })}`,
        ),
        get<{ data: FailureGroup[]; total: number }>(`/api/v1/transfers/failures${query(filterQuery(f))}`),
      ]);
      setRows(listData(page));
      setTotal(page.total ?? null);
      setCursor(page.next_cursor ?? null);
      setGroups(failures.data);
    } catch (err) {
      setError(err);
    }
  }, []);

  useEffect(() => {
    load(applied);
  }, [applied, load]);

  const more = async () => {
    try {
      const page = await get<{ data: Transfer[]; next_cursor: string | null }>(
        `/api/v1/transfers${query({ ...filterQuery(applied), limit: 100, cursor })}`,
      );
      setRows((r) => [...(r ?? []), ...listData(page)]);
      setCursor(page.next_cursor ?? null);
    } catch (err) {
      setError(err);
    }
  };

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setNotice(null);
    setApplied({ ...filters });
  };

  const showCode = (code: string | null) => {
    const next = { ...applied, error_code: code ?? '', state: applied.state === 'dead' ? 'dead' : '' };
    setFilters(next);
    setApplied(next);
  };

  const failedTotal = groups?.reduce((n, g) => n + g.count, 0) ?? 0;

  // Every failed or dead transfer the filter selects, in one call (the service sends at most 5,000 a
  // call and says how many are left).
  const replayAll = async () => {
    if (!confirm(`Send ${plural(failedTotal, 'failed or dead transfer')} that match the filters again?`))
      return;
    setError(null);
    setBusy(true);
    try {
      const f = filterQuery(applied);
      const answer = await post<{ matched: number; queued: number; superseded: number; remaining: number }>(
        '/api/v1/transfers/replay',
        {
          subscription_id: f.subscription,
          state: f.state === 'failed' || f.state === 'dead' ? f.state : undefined,
          q: f.q,
          error_code: f.error_code,
          created_after: f.created_after,
          created_before: f.created_before,
        },
      );
      const parts = [
        `Replay queued for ${plural(answer.queued, 'transfer')} of ${answer.matched.toLocaleString('en-US')} that matched.`,
      ];
      if (answer.superseded)
        parts.push(`${plural(answer.superseded, 'already had', 'already had')} a newer transfer waiting.`);
      if (answer.remaining)
        parts.push(`${plural(answer.remaining, 'is', 'are')} left: replay again to send them.`);
      setNotice(parts.join(' '));
      await load(applied);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const set = (key: keyof Filters, value: string) => setFilters((f) => ({ ...f, [key]: value }));
  const exportHref = `/api/v1/transfers/export.csv${query(filterQuery(applied))}`;
  return (
    <section>
      <h1>Transfer log</h1>
      <form className="filters card" onSubmit={apply} aria-label="Transfer filters">
        <label className="filter-search">
          Search
          <input
            type="search"
            value={filters.search}
            onChange={(e) => set('search', e.target.value)}
            name="q"
            placeholder="hub id, Klaviyo id or email"
            aria-describedby="search-hint"
          />
          <span id="search-hint" className="visually-hidden">
            A hub id, a Klaviyo profile id or an email address
          </span>
        </label>
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
          Error code
          <input
            value={filters.error_code}
            onChange={(e) => set('error_code', e.target.value.toUpperCase())}
            name="error_code"
            className="mono"
            size={18}
          />
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
        </div>
      </form>
      <ErrorBanner error={error} />
      <LiveNotice>{notice}</LiveNotice>
      {groups && groups.length > 0 ? <FailureGroups groups={groups} onShow={showCode} /> : null}
      <div className="toolbar log-actions" role="toolbar" aria-label="Transfers that match">
        <span data-testid="match-count">
          {total === null ? '' : `${plural(total, 'transfer')} match`}
          {failedTotal > 0 ? `, ${failedTotal.toLocaleString('en-US')} of them failed or dead` : ''}
        </span>
        <button type="button" onClick={replayAll} disabled={busy || failedTotal === 0}>
          {busy ? 'Replaying…' : `Replay all ${failedTotal.toLocaleString('en-US')} failed`}
        </button>
        <a className="button" href={exportHref} download>
          Export CSV
        </a>
      </div>
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

/** What is failing: one row per error code, its count and what it means (docs/errors.md). */
function FailureGroups({
  groups,
  onShow,
}: {
  groups: FailureGroup[];
  onShow: (code: string | null) => void;
}) {
  return (
    <div className="card failure-groups">
      <h2>Failures by error code</h2>
      <ul className="groups">
        {groups.map((g) => (
          <li key={g.error_code ?? 'none'}>
            <div className="group-head">
              <code>{g.error_code ?? '(no code)'}</code> <strong>{g.count.toLocaleString('en-US')}</strong>
              <button type="button" onClick={() => onShow(g.error_code)}>
                Show these<span className="visually-hidden"> {g.error_code ?? ''} failures</span>
              </button>
            </div>
            {g.explanation ? <p className="small">{g.explanation}</p> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** One transfer on a page of its own: the permanent link the log's rows and the CLI point to. */
export function TransferPage({ id }: { id: string }) {
  return (
    <section>
      <p className="small">
        <Link to="/transfers">← Transfer log</Link>
      </p>
      <h1>Transfer {id}</h1>
      <div className="card">
        <TransferSteps id={id} full />
      </div>
    </section>
  );
}

export function TransferTable({ transfers, onChanged }: { transfers: Transfer[]; onChanged?: () => void }) {
  const [open, setOpen] = useState<string | null>(null);
  if (transfers.length === 0) return <p className="empty">No transfers match.</p>;
  return (
    <div className="table-scroll">
      <table className="table transfers" aria-label="Transfers">
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Record</th>
            <th scope="col">Collection</th>
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
                <td className="mono">
                  <Link
                    to={`/transfers/${encodeURIComponent(t.id)}`}
                    title={`Transfer ${t.id}: its own page`}
                  >
                    {t.record_id}
                  </Link>
                </td>
                <td>
                  {t.collection_name ?? t.flow}{' '}
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
    </div>
  );
}

function TransferSteps({ id, onChanged, full }: { id: string; onChanged?: () => void; full?: boolean }) {
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
        {full ? (
          <>
            <dt>Record</dt>
            <dd className="mono">{detail.record_id}</dd>
            <dt>Subscription</dt>
            <dd>{detail.subscription_name ?? detail.subscription_id}</dd>
            <dt>State</dt>
            <dd>
              <span className={`state state-${detail.state}`}>{detail.state}</span> after{' '}
              {plural(detail.attempts, 'attempt')}
            </dd>
            {detail.error_code ? (
              <>
                <dt>Error</dt>
                <dd>
                  <code>{detail.error_code}</code> {detail.error_message ?? ''}
                </dd>
              </>
            ) : null}
            <dt>Created</dt>
            <dd>{formatTime(detail.created_at)}</dd>
          </>
        ) : null}
        <dt>Tracking id</dt>
        <dd className="mono">{detail.tracking_id}</dd>
        <dt>Collection</dt>
        <dd>{detail.collection_name ?? detail.collection_id ?? '—'}</dd>
        <dt>Flow</dt>
        <dd>{detail.flow}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(detail.updated_at)}</dd>
        {full ? null : (
          <>
            <dt>Link</dt>
            <dd>
              <Link to={`/transfers/${encodeURIComponent(detail.id)}`}>
                Open transfer {detail.id} on its own page
              </Link>
            </dd>
          </>
        )}
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
