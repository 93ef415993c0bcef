// Manual sync (docs/console.md): a collection and up to 3,000 ids, queued (Submit) or run ahead of the
// queue with every step recorded (Debug), optionally sent as a backfill (history: order events that trigger
// no flows, consent as a historical import); then the transfers it made.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { isFinishedState } from '../../domain/transfer-states.ts';
import { get, listData, post, query } from '../api.ts';
import { ErrorBanner, FieldRow, LiveNotice } from '../components/ui.tsx';
import { navigate } from '../router.tsx';
import type { Transfer } from '../types.ts';
import { SubscriptionPicker, useCollections } from './Mappings.tsx';
import { DryRun } from './DryRun.tsx';
import { PrivacyDeletion } from './PrivacyDeletion.tsx';
import { TransferTable } from './TransferLog.tsx';

const MAX_IDS = 3000;

export function parseIds(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

interface SyncAnswer {
  queued: number;
  /** The transfer of each id, in the order sent (a record already waiting shares the waiting one). */
  transfer_ids: string[];
}

const IDS_PER_READ = 500;

/** The transfers by id, 500 to a request (the list's `ids` filter). */
async function readTransfers(transferIds: string[]): Promise<Transfer[]> {
  const found: Transfer[] = [];
  for (let i = 0; i < transferIds.length; i += IDS_PER_READ) {
    const part = transferIds.slice(i, i + IDS_PER_READ);
    const page = await get(`/api/v1/transfers${query({ ids: part.join(','), limit: IDS_PER_READ })}`);
    found.push(...listData(page as { data: Transfer[] }));
  }
  return found;
}

export function ManualSync({ subscriptionId }: { subscriptionId: string | null }) {
  const { collections, error: loadError } = useCollections(subscriptionId);
  const [collectionId, setCollectionId] = useState('');
  const [idsText, setIdsText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [fieldError, setFieldError] = useState<{ field: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [backfill, setBackfill] = useState(false);
  const [submitted, setSubmitted] = useState<{
    ids: string[];
    debug: boolean;
    backfill: boolean;
    transferIds: string[];
  } | null>(null);
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const ids = parseIds(idsText);
  const pick = useCallback(
    (id: string) => navigate(`/sync?subscription=${encodeURIComponent(id)}`, true),
    [],
  );

  useEffect(() => {
    if (collections && !collections.some((c) => c.id === collectionId))
      setCollectionId(collections[0]?.id ?? '');
  }, [collections, collectionId]);

  useEffect(() => {
    if (!submitted) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = async () => {
      const found = await readTransfers(submitted.transferIds);
      if (stopped) return;
      setTransfers(found);
      // Once every transfer has finished there is nothing left to follow.
      const going =
        found.length < submitted.transferIds.length || found.some((t) => !isFinishedState(t.state));
      if (going) timer = setTimeout(() => refresh().catch(() => {}), 2000);
    };
    refresh().catch(setError);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [submitted]);

  const run = async (debug: boolean) => {
    setError(null);
    setFieldError(null);
    if (ids.length === 0) return setFieldError({ field: 'ids', message: 'Enter at least one id.' });
    if (ids.length > MAX_IDS)
      return setFieldError({
        field: 'ids',
        message: `At most ${MAX_IDS} ids at once; you entered ${ids.length}.`,
      });
    setBusy(true);
    try {
      const answer = await post<SyncAnswer>(
        `/api/v1/subscriptions/${encodeURIComponent(subscriptionId!)}/manual-sync`,
        {
          collection_id: collectionId,
          ids,
          debug,
          backfill,
        },
      );
      setTransfers([]);
      setSubmitted({ ids, debug, backfill, transferIds: answer.transfer_ids });
    } catch (err) {
      const f = (err as { field?: string }).field?.replace(/^body\./, '');
      if (f === 'ids' || f === 'collection_id') setFieldError({ field: f, message: (err as Error).message });
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    run(false);
  };

  return (
    <section>
      <div className="page-head">
        <h1>Manual sync</h1>
        <SubscriptionPicker value={subscriptionId} onChange={pick} />
      </div>
      <ErrorBanner error={loadError ?? error} />
      <form onSubmit={submit} noValidate className="card" aria-label="Manual sync">
        <FieldRow
          label="Collection"
          required
          error={fieldError?.field === 'collection_id' ? fieldError.message : null}
        >
          {({ id }) => (
            <select
              id={id}
              value={collectionId}
              onChange={(e) => setCollectionId(e.target.value)}
              name="collection_id"
              aria-required
            >
              {(collections ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.direction === 'from_hub' ? 'hub ids' : 'Klaviyo ids'})
                </option>
              ))}
            </select>
          )}
        </FieldRow>
        <FieldRow
          label="Record ids"
          required
          hint={`One per line, or separated by commas or spaces; at most ${MAX_IDS}. ${ids.length} id${ids.length === 1 ? '' : 's'} entered.`}
          error={fieldError?.field === 'ids' ? fieldError.message : null}
        >
          {({ id, describedBy, invalid }) => (
            <textarea
              id={id}
              name="ids"
              aria-required
              rows={6}
              className="mono"
              value={idsText}
              onChange={(e) => setIdsText(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
            />
          )}
        </FieldRow>
        <div className="field field-checkbox">
          <label htmlFor="manual-sync-backfill">
            <input
              id="manual-sync-backfill"
              type="checkbox"
              name="backfill"
              checked={backfill}
              onChange={(e) => setBackfill(e.target.checked)}
              aria-describedby="manual-sync-backfill-hint"
            />{' '}
            Send as backfill (history)
          </label>
          <div className="hint" id="manual-sync-backfill-hint">
            For records that happened in the past: order events are recorded in Klaviyo without triggering
            flows, and email consent is imported as historical (no double opt-in confirmation), dated by the
            ConsentedAt field or else by the hub's last change of the record.
          </div>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !collectionId}>
            Submit
          </button>
          <button type="button" onClick={() => run(true)} disabled={busy || !collectionId}>
            Debug
          </button>
          <span className="muted small">Debug runs the ids ahead of the queue and records every step.</span>
        </div>
      </form>
      <LiveNotice>
        {submitted ? (
          <>
            {submitted.debug ? 'Debug run' : 'Queued'}: {submitted.ids.length} record
            {submitted.ids.length === 1 ? '' : 's'}
            {submitted.backfill ? ' as a backfill' : ''}. The transfers below refresh by themselves.
          </>
        ) : null}
      </LiveNotice>
      {submitted ? (
        <div>
          <h2>Resulting transfers</h2>
          <TransferTable transfers={transfers} />
        </div>
      ) : null}
      {subscriptionId && collectionId ? (
        <DryRun
          subscriptionId={subscriptionId}
          collectionId={collectionId}
          ids={ids}
          fromHub={collections?.find((c) => c.id === collectionId)?.direction === 'from_hub'}
        />
      ) : null}
      {subscriptionId ? <PrivacyDeletion subscriptionId={subscriptionId} /> : null}
    </section>
  );
}
