// Preview of a collection: run it on a hub record (by id, picked from the hub) or on JSON typed in,
// and show the payload and actions that would be sent, without sending anything.
import { type FormEvent, useEffect, useId, useState } from 'react';
import { get, listData, post } from '../api.ts';
import { ErrorBanner, Json, Notice } from '../components/ui.tsx';
import type { Collection } from '../types.ts';

const HUB_LIST: Record<string, string> = {
  customer: 'customers',
  customer_address: 'customers',
  transaction: 'transactions',
  transaction_line: 'transactions',
  product: 'products',
  product_variant: 'products',
};

interface PreviewAnswer {
  payload?: unknown;
  actions?: unknown[];
  skipped?: string;
}

interface HubRecord {
  id: string;
  email_address?: string;
  first_name?: string;
  last_name?: string;
  name?: string;
  transaction_number?: string;
  sku?: string;
}

function describe(r: HubRecord): string {
  const name =
    [r.first_name, r.last_name].filter(Boolean).join(' ') || r.name || r.transaction_number || r.sku || '';
  return [r.id, name, r.email_address].filter(Boolean).join(' · ');
}

export function Preview({ collection, dirty }: { collection: Collection; dirty: boolean }) {
  const [mode, setMode] = useState<'id' | 'json'>('id');
  const [recordId, setRecordId] = useState('');
  const [recordJson, setRecordJson] = useState('{\n  "id": "c-1",\n  "email_address": "ada@example.com"\n}');
  const [answer, setAnswer] = useState<PreviewAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [records, setRecords] = useState<HubRecord[]>([]);
  const listId = useId();
  const hubList = collection.direction === 'from_hub' ? HUB_LIST[collection.type] : undefined;

  useEffect(() => {
    if (!hubList) return;
    get(`/api/v1/${hubList}?limit=50`)
      .then((a) => setRecords(listData(a as { data: HubRecord[] })))
      .catch(() => setRecords([]));
  }, [hubList]);

  const run = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setAnswer(null);
    let body: unknown;
    if (mode === 'id') body = { record_id: recordId.trim() };
    else {
      try {
        body = { record: JSON.parse(recordJson) };
      } catch (err) {
        setError(new Error(`The record is not valid JSON: ${(err as Error).message}`));
        return;
      }
    }
    try {
      setAnswer(
        await post<PreviewAnswer>(`/api/v1/collections/${encodeURIComponent(collection.id)}/preview`, body),
      );
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="card preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <p className="muted small">
        Runs the saved collection on a record and shows what would be sent to{' '}
        {collection.direction === 'from_hub' ? 'Klaviyo' : 'the hub'}; nothing is sent.
        {dirty ? ' Save first to preview your changes.' : ''}
      </p>
      <form onSubmit={run} aria-label="Preview a record">
        <div className="radio-row" role="radiogroup" aria-label="Record source">
          <label>
            <input type="radio" name="preview-mode" checked={mode === 'id'} onChange={() => setMode('id')} />{' '}
            {collection.direction === 'from_hub' ? 'Hub record id' : 'Klaviyo profile id'}
          </label>
          <label>
            <input
              type="radio"
              name="preview-mode"
              checked={mode === 'json'}
              onChange={() => setMode('json')}
            />{' '}
            Record JSON
          </label>
        </div>
        {mode === 'id' ? (
          <label className="block">
            Record id
            <input
              name="record_id"
              list={records.length ? listId : undefined}
              value={recordId}
              onChange={(e) => setRecordId(e.target.value)}
              className="mono"
              placeholder={records[0]?.id ?? 'record id'}
            />
            {records.length ? (
              <datalist id={listId}>
                {records.map((r) => (
                  <option key={r.id} value={r.id}>
                    {describe(r)}
                  </option>
                ))}
              </datalist>
            ) : null}
          </label>
        ) : (
          <label className="block">
            Record JSON
            <textarea
              name="record"
              className="mono"
              rows={8}
              spellCheck={false}
              value={recordJson}
              onChange={(e) => setRecordJson(e.target.value)}
            />
          </label>
        )}
        <button type="submit">Preview</button>
      </form>
      <ErrorBanner error={error} />
      {answer ? (
        <div className="preview-result" data-testid="preview-result">
          {answer.skipped ? <Notice kind="warn">Skipped: {answer.skipped}</Notice> : null}
          <h3>Payload</h3>
          <Json value={answer.payload ?? null} label="Preview payload" />
          <h3>Actions</h3>
          {answer.actions?.length ? (
            <Json value={answer.actions} label="Preview actions" />
          ) : (
            <p className="muted">No further actions.</p>
          )}
        </div>
      ) : null}
    </section>
  );
}
