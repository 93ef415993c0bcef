// One mapping collection: its settings, its mappings, save/delete, and the preview of a record.
import { type ChangeEvent, type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, del, put } from '../api.ts';
import { ErrorBanner, FieldRow, LiveNotice } from '../components/ui.tsx';
import { COLLECTION_TYPES, type Collection } from '../types.ts';
import { type MappingRow, MappingRows, newRow, type RowError, toRows } from './MappingRows.tsx';
import { Preview } from './Preview.tsx';

const COLLISION = ['error', 'update_and_link', 'remove_and_link', 'update_no_link'];

/** `mappings[3].formula` → row 3, part "formula"; other names concern the collection itself. */
function rowError(err: unknown): RowError | null {
  if (!(err instanceof ApiError) || !err.field) return null;
  const m = /^(?:body\.)?mappings[[.](\d+)\]?(?:\.(\w+))?/.exec(err.field);
  if (!m) return null;
  return { index: Number(m[1]), part: m[2] ?? '', message: err.message };
}

export function CollectionEditor(props: {
  collection: Collection;
  siblings: Collection[];
  onSaved: () => void;
  onDeleted: () => void;
}) {
  const [draft, setDraft] = useState<Collection>(props.collection);
  const [rows, setRows] = useState<MappingRow[]>(() => toRows(props.collection.mappings ?? []));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const [dirty, setDirty] = useState(false);
  const rowErr = rowError(error);
  const fieldName = error instanceof ApiError && !rowErr ? error.field?.replace(/^body\./, '') : undefined;
  const fieldErr = (name: string) => (fieldName === name && error instanceof Error ? error.message : null);

  // A refused save moves the focus to the field in error once it is marked (after the render that
  // marks it; looking for it in the same tick finds nothing): a mapping row's input, or a collection field.
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (!error) return;
    const form = formRef.current;
    const row = rowError(error);
    const target = row
      ? form?.querySelector<HTMLElement>(`[data-mapping-index="${row.index}"] [aria-invalid="true"]`)
      : form?.querySelector<HTMLElement>(
          '.field-invalid input, .field-invalid select, .field-invalid textarea',
        );
    target?.focus();
  }, [error]);

  const set = <K extends keyof Collection>(key: K, value: Collection[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setDirty(true);
    setSaved(false);
  };

  const save = async (e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const body = collectionBody(draft, rows);
      await put(`/api/v1/collections/${encodeURIComponent(draft.id)}`, body);
      setSaved(true);
      setDirty(false);
      props.onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!confirm(`Delete collection “${draft.name}” and its mappings?`)) return;
    try {
      await del(`/api/v1/collections/${encodeURIComponent(draft.id)}`);
      props.onDeleted();
    } catch (err) {
      setError(err);
    }
  };

  const changeRows = (next: MappingRow[]) => {
    setRows(next);
    setDirty(true);
    setSaved(false);
  };
  const addMapping = () =>
    changeRows([...rows, newRow({ destination: '', type: 'dynamic_formula', formula: '' })]);

  return (
    <div>
      <form ref={formRef} onSubmit={save} noValidate aria-label={`Collection ${draft.name}`}>
        <div className="page-head">
          <h2>{draft.name}</h2>
          <div className="toolbar">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save collection'}
            </button>
            <button type="button" className="danger" onClick={remove}>
              Delete collection
            </button>
          </div>
        </div>
        {rowErr ? (
          <div className="banner banner-error" role="alert">
            The mapping to {rows[rowErr.index]?.mapping.destination || '(no destination)'} is refused; it is
            marked below.
          </div>
        ) : fieldName && fieldErr(fieldName) && isCollectionField(fieldName) ? null : (
          <ErrorBanner error={error} />
        )}
        <LiveNotice>{saved ? 'Saved.' : null}</LiveNotice>
        <fieldset className="card">
          <legend>Collection</legend>
          <div className="field-grid">
            <FieldRow label="Name" required error={fieldErr('name')}>
              {({ id, describedBy }) => (
                <input
                  aria-required
                  id={id}
                  value={draft.name}
                  onChange={(e) => set('name', e.target.value)}
                  aria-describedby={describedBy}
                />
              )}
            </FieldRow>
            <FieldRow label="Type" required error={fieldErr('type')}>
              {({ id }) => (
                <select id={id} value={draft.type} onChange={(e) => set('type', e.target.value)}>
                  {COLLECTION_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {t.replace('_', ' ')}
                    </option>
                  ))}
                </select>
              )}
            </FieldRow>
            <FieldRow label="Direction" required error={fieldErr('direction')}>
              {({ id }) => (
                <select
                  id={id}
                  value={draft.direction}
                  onChange={(e) => set('direction', e.target.value as Collection['direction'])}
                >
                  <option value="from_hub">From hub to Klaviyo</option>
                  <option value="to_hub">From Klaviyo to hub</option>
                </select>
              )}
            </FieldRow>
            <FieldRow label="Sync type" required error={fieldErr('sync_type')}>
              {({ id }) => (
                <select
                  id={id}
                  value={draft.sync_type}
                  onChange={(e) => set('sync_type', e.target.value as Collection['sync_type'])}
                >
                  <option value="add">Add</option>
                  <option value="update">Update</option>
                  <option value="add_and_update">Add and update</option>
                </select>
              )}
            </FieldRow>
            <FieldRow label="Parent collection" error={fieldErr('parent_id')}>
              {({ id }) => (
                <select
                  id={id}
                  value={draft.parent_id ?? ''}
                  onChange={(e) => set('parent_id', e.target.value || null)}
                >
                  <option value="">None (a top-level collection)</option>
                  {props.siblings
                    .filter((c) => c.id !== draft.id)
                    .map((c) => (
                      <option key={c.id} value={c.id}>
                        {c.name}
                      </option>
                    ))}
                </select>
              )}
            </FieldRow>
            <FieldRow label="Collision handling" error={fieldErr('collision_handling')}>
              {({ id }) => (
                <select
                  id={id}
                  value={draft.collision_handling ?? 'error'}
                  onChange={(e) => set('collision_handling', e.target.value)}
                >
                  {COLLISION.map((c) => (
                    <option key={c} value={c}>
                      {c.replace(/_/g, ' ')}
                    </option>
                  ))}
                </select>
              )}
            </FieldRow>
            <div className="field field-checkbox">
              <label>
                <input
                  type="checkbox"
                  checked={draft.enabled}
                  onChange={(e) => set('enabled', e.target.checked)}
                />{' '}
                Enabled
              </label>
            </div>
            <FieldRow label="Description" error={fieldErr('description')}>
              {({ id }) => (
                <input
                  id={id}
                  value={draft.description ?? ''}
                  onChange={(e) => set('description', e.target.value || null)}
                />
              )}
            </FieldRow>
            <OptionalTextField
              label="Mapping filter"
              hint="A formula returning true or false; false skips the record."
              formula
              value={draft.mapping_filter}
              error={fieldErr('mapping_filter')}
              onChange={(value) => set('mapping_filter', value)}
            />
            <OptionalTextField
              label="Error filter"
              hint="A formula; true fails the record with the filter's message."
              formula
              value={draft.error_filter}
              error={fieldErr('error_filter')}
              onChange={(value) => set('error_filter', value)}
            />
            <OptionalTextField
              label="Error filter message"
              hint="What a record fails with when the error filter is true."
              value={draft.error_message}
              error={fieldErr('error_message')}
              onChange={(value) => set('error_message', value)}
            />
            <FieldRow label="Sort order" error={fieldErr('sort_order')}>
              {({ id, describedBy, invalid }) => (
                <input
                  id={id}
                  type="number"
                  value={draft.sort_order ?? 0}
                  onChange={(e) => set('sort_order', e.target.value === '' ? 0 : Number(e.target.value))}
                  aria-describedby={describedBy}
                  aria-invalid={invalid || undefined}
                />
              )}
            </FieldRow>
          </div>
        </fieldset>
        <fieldset className="card">
          <legend>Mappings ({rows.length})</legend>
          <MappingRows rows={rows} error={rowErr} onChange={changeRows} />
          <button type="button" onClick={addMapping}>
            Add mapping
          </button>
        </fieldset>
      </form>
      <Preview collection={draft} dirty={dirty} />
    </div>
  );
}

/** A described, validated text setting that the API stores as null when empty; formulas get a code box. */
function OptionalTextField(props: {
  label: string;
  hint: string;
  formula?: boolean;
  value: string | null | undefined;
  error: string | null;
  onChange: (value: string | null) => void;
}) {
  return (
    <FieldRow label={props.label} hint={props.hint} error={props.error}>
      {({ id, describedBy, invalid }) => {
        const control = {
          id,
          value: props.value ?? '',
          onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
            props.onChange(e.target.value || null),
          'aria-describedby': describedBy,
          'aria-invalid': invalid || undefined,
        };
        return props.formula ? (
          <textarea rows={2} className="mono" spellCheck={false} {...control} />
        ) : (
          <input {...control} />
        );
      }}
    </FieldRow>
  );
}

/** Only the fields the API takes on a save (it refuses unknown ones, such as ids and timestamps). */
function collectionBody(c: Collection, rows: MappingRow[]) {
  return {
    name: c.name,
    type: c.type,
    direction: c.direction,
    sync_type: c.sync_type,
    parent_id: c.parent_id ?? null,
    mapping_filter: c.mapping_filter?.trim() ? c.mapping_filter : null,
    error_filter: c.error_filter?.trim() ? c.error_filter : null,
    error_message: c.error_message?.trim() ? c.error_message : null,
    collision_handling: c.collision_handling ?? 'error',
    enabled: c.enabled,
    sort_order: c.sort_order ?? 0,
    description: c.description?.trim() ? c.description : null,
    mappings: rows.map((r) => r.mapping),
  };
}

function isCollectionField(name: string): boolean {
  return [
    'name',
    'type',
    'direction',
    'sync_type',
    'parent_id',
    'collision_handling',
    'description',
    'mapping_filter',
    'error_filter',
    'error_message',
    'sort_order',
    'enabled',
  ].includes(name);
}
