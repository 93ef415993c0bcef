// The dry run on the manual sync page (a safe first sync): before syncing many records, what a sync of
// the chosen collection would do to the ids entered, a sample or all records — how many would be
// created, updated, skipped or fail, and why — with nothing sent (docs/console.md).
import { useId, useState } from 'react';
import { post } from '../api.ts';
import { ErrorBanner, LiveNotice } from '../components/ui.tsx';

interface DryRunAnswer {
  collection: { name: string };
  records: number;
  truncated: boolean;
  counts: Record<'create' | 'update' | 'skip' | 'fail', number>;
  reasons: { outcome: string; code: string | null; reason: string; count: number; examples: string[] }[];
  klaviyo: { lookups: boolean; reads: number; writes: number };
}

const n = (v: number) => v.toLocaleString('en-US');
const OUTCOMES = [
  ['create', 'Would create'],
  ['update', 'Would update'],
  ['skip', 'Would skip'],
  ['fail', 'Would fail'],
] as const;

export function DryRun({
  subscriptionId,
  collectionId,
  ids,
  fromHub,
}: {
  subscriptionId: string;
  collectionId: string;
  ids: string[];
  fromHub: boolean;
}) {
  const [scope, setScope] = useState<'ids' | 'sample' | 'all'>('sample');
  const [sample, setSample] = useState(100);
  const [lookups, setLookups] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [answer, setAnswer] = useState<DryRunAnswer | null>(null);
  const name = useId();

  const run = async () => {
    setError(null);
    setAnswer(null);
    setBusy(true);
    try {
      setAnswer(
        await post<DryRunAnswer>(`/api/v1/subscriptions/${encodeURIComponent(subscriptionId)}/dry-run`, {
          collection_id: collectionId,
          ids: scope === 'ids' ? ids : undefined,
          sample: scope === 'sample' ? sample : undefined,
          all: scope === 'all' || undefined,
          lookups,
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card dry-run" aria-labelledby={`${name}-title`}>
      <h2 id={`${name}-title`}>Dry run</h2>
      <p className="small">
        Before a large sync or a backfill: see how many records would be created, updated, skipped or fail,
        and why. Nothing is written to Klaviyo or to the transfer log.
      </p>
      {fromHub ? (
        <>
          <fieldset className="radio-row">
            <legend>Records</legend>
            <label>
              <input
                type="radio"
                name={`${name}-scope`}
                checked={scope === 'ids'}
                onChange={() => setScope('ids')}
              />{' '}
              The ids above ({n(ids.length)})
            </label>
            <label>
              <input
                type="radio"
                name={`${name}-scope`}
                checked={scope === 'sample'}
                onChange={() => setScope('sample')}
              />{' '}
              A sample of
            </label>
            <input
              type="number"
              min={1}
              max={1000}
              value={sample}
              onChange={(e) => setSample(Math.max(1, Math.min(1000, Number(e.target.value) || 1)))}
              aria-label="Sample size"
              className="narrow"
            />
            <label>
              <input
                type="radio"
                name={`${name}-scope`}
                checked={scope === 'all'}
                onChange={() => setScope('all')}
              />{' '}
              All records
            </label>
          </fieldset>
          <label className="check">
            <input type="checkbox" checked={lookups} onChange={(e) => setLookups(e.target.checked)} /> Look up
            existing Klaviyo profiles by email and phone (reads only; off: stored links only, Klaviyo is not
            asked)
          </label>
          <div className="actions">
            <button
              type="button"
              onClick={run}
              disabled={busy || !collectionId || (scope === 'ids' && ids.length === 0)}
            >
              {busy ? 'Running the dry run…' : 'Dry run'}
            </button>
          </div>
        </>
      ) : (
        <p className="muted small">A dry run covers collections FROM the hub.</p>
      )}
      <ErrorBanner error={error} />
      <LiveNotice>
        {answer
          ? `Dry run of ${answer.collection.name} on ${n(answer.records)} records: nothing was sent.${answer.truncated ? ' It stopped at the cap; the counts are for these records.' : ''}`
          : null}
      </LiveNotice>
      {answer ? (
        <>
          <dl className="dry-counts">
            {OUTCOMES.map(([key, label]) => (
              <div key={key} className={`dry-count dry-${key}`}>
                <dt>{label}</dt>
                <dd data-testid={`dry-${key}`}>{n(answer.counts[key])}</dd>
              </div>
            ))}
          </dl>
          <div className="table-scroll">
            <table className="table compact" aria-label="Dry run reasons">
              <thead>
                <tr>
                  <th scope="col">Outcome</th>
                  <th scope="col">Records</th>
                  <th scope="col">Why</th>
                  <th scope="col">For example</th>
                </tr>
              </thead>
              <tbody>
                {answer.reasons.map((r) => (
                  <tr key={`${r.outcome}-${r.code}-${r.reason}`}>
                    <td>{r.outcome}</td>
                    <td>{n(r.count)}</td>
                    <td>
                      {r.code ? <code>{r.code}</code> : null} {r.reason}
                    </td>
                    <td className="mono small">{r.examples.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted small">
            {answer.klaviyo.lookups
              ? `Klaviyo: ${n(answer.klaviyo.reads)} profile look-up${answer.klaviyo.reads === 1 ? '' : 's'} (reads), no writes.`
              : 'Klaviyo was not asked: stored links only.'}
          </p>
        </>
      ) : null}
    </section>
  );
}
