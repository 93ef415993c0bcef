// The editor of one collection's mappings: one row per mapping, whatever its type, with the API's
// error shown on the row and input it concerns (the API names it as `mappings[3].formula`).
import type { Mapping, MappingType } from '../types.ts';

export const MAPPING_TYPES: { value: MappingType; label: string }[] = [
  { value: 'static', label: 'Static' },
  { value: 'field', label: 'Field' },
  { value: 'dynamic_formula', label: 'Dynamic Formula' },
  { value: 'lookup_translation', label: 'Lookup Translation' },
];

/** A static value is typed as JSON when it parses (42, true, null, "text"), else taken as text. */
export function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function showLoose(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function withoutKey(m: Mapping): Mapping {
  const { source: _s, formula: _f, ...rest } = m;
  return rest;
}

export interface RowError {
  index: number;
  part: string;
  message: string;
}

/** A mapping with a key of the editor's own, so rows keep their identity when moved or removed. */
export interface MappingRow {
  key: string;
  mapping: Mapping;
}

let nextRowKey = 0;
export function toRows(mappings: Mapping[]): MappingRow[] {
  return mappings.map((mapping) => ({ key: `row-${nextRowKey++}`, mapping }));
}
export function newRow(mapping: Mapping): MappingRow {
  return { key: `row-${nextRowKey++}`, mapping };
}

export function MappingRows(props: {
  rows: MappingRow[];
  error: RowError | null;
  onChange: (rows: MappingRow[]) => void;
}) {
  const { rows } = props;
  const mappings = rows.map((r) => r.mapping);
  const update = (i: number, next: Mapping) =>
    props.onChange(rows.map((r, j) => (j === i ? { key: r.key, mapping: next } : r)));
  const move = (i: number, by: number) => {
    const j = i + by;
    if (j < 0 || j >= rows.length) return;
    const copy = [...rows];
    [copy[i], copy[j]] = [copy[j], copy[i]];
    props.onChange(copy);
  };
  return (
    <div className="mapping-rows">
      {mappings.length === 0 ? <p className="empty">No mappings yet.</p> : null}
      {mappings.map((m, i) => {
        const err = props.error?.index === i ? props.error : null;
        const errId = `mapping-${i}-error`;
        const bad = (part: string) => (err && (err.part === part || err.part === '') ? true : undefined);
        const described = (part: string) => (bad(part) ? errId : undefined);
        return (
          <div
            key={rows[i].key}
            className={`mapping-row card${err ? ' mapping-row-invalid' : ''}`}
            data-mapping-index={i}
          >
            <div className="mapping-head">
              <label>
                Destination
                <input
                  aria-label={`Mapping ${i + 1} destination`}
                  value={m.destination}
                  onChange={(e) => update(i, { ...m, destination: e.target.value })}
                  aria-invalid={bad('destination')}
                  aria-describedby={described('destination')}
                  className="mono"
                />
              </label>
              <label>
                Type
                <select
                  aria-label={`Mapping ${i + 1} type`}
                  value={m.type}
                  onChange={(e) => update(i, switchType(m, e.target.value as MappingType))}
                >
                  {MAPPING_TYPES.map((t) => (
                    <option key={t.value} value={t.value}>
                      {t.label}
                    </option>
                  ))}
                </select>
              </label>
              <div className="row-buttons">
                <button type="button" onClick={() => move(i, -1)} aria-label={`Move mapping ${i + 1} up`}>
                  ↑
                </button>
                <button type="button" onClick={() => move(i, 1)} aria-label={`Move mapping ${i + 1} down`}>
                  ↓
                </button>
                <button
                  type="button"
                  className="danger"
                  onClick={() => props.onChange(rows.filter((_, j) => j !== i))}
                  aria-label={`Remove mapping ${i + 1}`}
                >
                  Remove
                </button>
              </div>
            </div>
            {m.type === 'static' ? (
              <label className="block">
                Value (JSON, or plain text)
                <input
                  aria-label={`Mapping ${i + 1} value`}
                  className="mono"
                  value={showLoose(m.value)}
                  onChange={(e) => update(i, { ...m, value: parseLoose(e.target.value) })}
                  aria-invalid={bad('value')}
                  aria-describedby={described('value')}
                />
              </label>
            ) : null}
            {m.type === 'lookup_translation' ? (
              <div className="radio-row" role="radiogroup" aria-label={`Mapping ${i + 1} lookup key from`}>
                <label>
                  <input
                    type="radio"
                    name={`lookup-key-${rows[i].key}`}
                    checked={m.formula === undefined}
                    onChange={() => update(i, { ...withoutKey(m), source: m.formula ?? '' })}
                  />{' '}
                  Key from a source path
                </label>
                <label>
                  <input
                    type="radio"
                    name={`lookup-key-${rows[i].key}`}
                    checked={m.formula !== undefined}
                    onChange={() => update(i, { ...withoutKey(m), formula: m.source ?? '' })}
                  />{' '}
                  Key from a formula
                </label>
              </div>
            ) : null}
            {m.type === 'field' || (m.type === 'lookup_translation' && m.formula === undefined) ? (
              <label className="block">
                Source path
                <input
                  aria-label={`Mapping ${i + 1} source`}
                  className="mono"
                  placeholder="email_address"
                  value={m.source ?? ''}
                  onChange={(e) => update(i, { ...m, source: e.target.value })}
                  aria-invalid={bad('source')}
                  aria-describedby={described('source')}
                />
              </label>
            ) : null}
            {m.type === 'dynamic_formula' || (m.type === 'lookup_translation' && m.formula !== undefined) ? (
              <label className="block">
                Formula (JSONata)
                <textarea
                  aria-label={`Mapping ${i + 1} formula`}
                  className="mono"
                  rows={Math.min(12, Math.max(2, (m.formula ?? '').split('\n').length + 1))}
                  spellCheck={false}
                  value={m.formula ?? ''}
                  onChange={(e) => update(i, { ...m, formula: e.target.value })}
                  aria-invalid={bad('formula')}
                  aria-describedby={described('formula')}
                />
              </label>
            ) : null}
            {m.type === 'lookup_translation' ? (
              <LookupTable mapping={m} index={i} onChange={(n) => update(i, n)} />
            ) : null}
            {err ? (
              <div className="field-error" id={errId} role="alert" data-testid="mapping-error">
                {err.message}
              </div>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}

function switchType(m: Mapping, type: MappingType): Mapping {
  const base: Mapping = {
    destination: m.destination,
    type,
    ...(m.description ? { description: m.description } : {}),
  };
  if (type === 'static') return { ...base, value: m.value ?? '' };
  if (type === 'field') return { ...base, source: m.source ?? '' };
  if (type === 'dynamic_formula') return { ...base, formula: m.formula ?? m.source ?? '' };
  const key = m.formula ? { formula: m.formula } : { source: m.source ?? '' };
  return { ...base, ...key, table: m.table ?? {}, default: m.default ?? null };
}

function LookupTable({
  mapping,
  index,
  onChange,
}: {
  mapping: Mapping;
  index: number;
  onChange: (m: Mapping) => void;
}) {
  const entries = Object.entries(mapping.table ?? {});
  const setEntries = (next: [string, unknown][]) => onChange({ ...mapping, table: Object.fromEntries(next) });
  return (
    <div className="lookup">
      <table className="table compact" aria-label={`Mapping ${index + 1} lookup table`}>
        <thead>
          <tr>
            <th scope="col">Source value</th>
            <th scope="col">Destination value</th>
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v], r) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the key text itself is being edited
            <tr key={r}>
              <td>
                <input
                  aria-label={`Mapping ${index + 1} lookup row ${r + 1} source value`}
                  value={k}
                  onChange={(e) =>
                    setEntries(entries.map((en, j) => (j === r ? [e.target.value, en[1]] : en)))
                  }
                />
              </td>
              <td>
                <input
                  aria-label={`Mapping ${index + 1} lookup row ${r + 1} destination value`}
                  value={showLoose(v)}
                  onChange={(e) =>
                    setEntries(entries.map((en, j) => (j === r ? [en[0], parseLoose(e.target.value)] : en)))
                  }
                />
              </td>
              <td>
                <button
                  type="button"
                  aria-label={`Remove lookup row ${r + 1}`}
                  onClick={() => setEntries(entries.filter((_, j) => j !== r))}
                >
                  ✕
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="lookup-foot">
        <button type="button" onClick={() => setEntries([...entries, [`value ${entries.length + 1}`, '']])}>
          Add row
        </button>
        <label>
          Default (when no row matches)
          <input
            aria-label={`Mapping ${index + 1} lookup default`}
            value={showLoose(mapping.default ?? null)}
            onChange={(e) => onChange({ ...mapping, default: parseLoose(e.target.value) })}
          />
        </label>
      </div>
    </div>
  );
}
