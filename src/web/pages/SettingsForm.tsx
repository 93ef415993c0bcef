// The subscription settings form (docs/configuration.md): every field with its default, the required marks, the
// throttles pre-populated, and the API's validation errors shown at the field they concern.
import { type FormEvent, useState } from 'react';
import { ApiError } from '../api.ts';
import { ErrorBanner, FieldRow } from '../components/ui.tsx';
import type { Subscription } from '../types.ts';
import { fieldKey, GROUP_TITLES, SETTINGS_FIELDS, type SettingsField } from './settingsFields.ts';

type Values = Record<string, string | boolean>;

function initialValues(sub: Subscription | null): Values {
  const values: Values = {};
  for (const f of SETTINGS_FIELDS) {
    const current = sub ? (sub as unknown as Record<string, unknown>)[f.key] : undefined;
    if (f.key === 'api_key') values[f.key] = '';
    else if (f.kind === 'checkbox')
      values[f.key] = typeof current === 'boolean' ? current : Boolean(f.default);
    else if (current !== undefined && current !== null) values[f.key] = String(current);
    else values[f.key] = f.default === undefined ? '' : String(f.default);
  }
  return values;
}

function toBody(values: Values, creating: boolean, authMethod: 'api_key' | 'oauth'): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of SETTINGS_FIELDS) {
    if (f.onCreateOnly && !creating) continue;
    const v = values[f.key];
    if (f.key === 'api_key') {
      // Write-only: blank keeps the stored key; OAuth subscriptions do not send one.
      if (authMethod === 'api_key' && typeof v === 'string' && v.trim()) body.api_key = v.trim();
      continue;
    }
    if (f.kind === 'checkbox') body[f.key] = Boolean(v);
    else if (f.kind === 'number') {
      const s = String(v).trim();
      body[f.key] = s === '' ? null : Number(s);
    } else {
      const s = String(v).trim();
      if (s === '' && !f.required) body[f.key] = null;
      else body[f.key] = s;
    }
  }
  return body;
}

export function SettingsForm(props: {
  subscription: Subscription | null;
  onSave: (body: Record<string, unknown>) => Promise<void>;
}) {
  const creating = props.subscription === null;
  const [values, setValues] = useState<Values>(() => initialValues(props.subscription));
  const [authMethod, setAuthMethod] = useState<'api_key' | 'oauth'>(
    props.subscription?.auth_method === 'oauth' ? 'oauth' : 'api_key',
  );
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const set = (key: string, value: string | boolean) => {
    setValues((v) => ({ ...v, [key]: value }));
    setFieldErrors(({ [key]: _, ...rest }) => rest);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    setFieldErrors({});
    try {
      const body = toBody(values, creating, authMethod);
      if (creating) body.auth_method = authMethod;
      else {
        // PATCH sends what changed: an untouched field is left as it is stored.
        const before = toBody(initialValues(props.subscription), false, authMethod);
        for (const key of Object.keys(body)) {
          if (key !== 'api_key' && JSON.stringify(body[key]) === JSON.stringify(before[key]))
            delete body[key];
        }
        if (authMethod !== (props.subscription?.auth_method ?? 'api_key')) body.auth_method = authMethod;
      }
      await props.onSave(body);
      setValues((v) => ({ ...v, api_key: '' }));
    } catch (err) {
      const key = err instanceof ApiError ? fieldKey(err.field) : undefined;
      if (key && SETTINGS_FIELDS.some((f) => f.key === key)) {
        // The API prefixes the message with the field's name; under the field itself that is noise.
        const message = err instanceof Error ? err.message : String(err);
        setFieldErrors({ [key]: message.startsWith(`${key}: `) ? message.slice(key.length + 2) : message });
        document.getElementById(`setting-${key}`)?.focus();
      } else setFormError(err);
    } finally {
      setBusy(false);
    }
  };

  const groups = ['connection', 'behaviour', 'throttling'] as const;
  return (
    <form onSubmit={submit} noValidate className="settings-form" aria-label="Subscription settings">
      <ErrorBanner error={formError} />
      <p className="muted small">
        Fields marked <span className="required">*</span> are required. Throttling fields come filled in with
        their defaults; change them only if you need to.
      </p>
      <fieldset className="card">
        <legend>Authentication</legend>
        <div className="radio-row">
          <label>
            <input
              type="radio"
              name="auth_method"
              value="api_key"
              checked={authMethod === 'api_key'}
              onChange={() => setAuthMethod('api_key')}
            />{' '}
            Private API key
          </label>
          <label>
            <input
              type="radio"
              name="auth_method"
              value="oauth"
              checked={authMethod === 'oauth'}
              onChange={() => setAuthMethod('oauth')}
            />{' '}
            OAuth (recommended: use Authenticate after saving)
          </label>
        </div>
      </fieldset>
      {groups.map((group) => (
        <fieldset className="card" key={group}>
          <legend>{GROUP_TITLES[group]}</legend>
          <div className="field-grid">
            {SETTINGS_FIELDS.filter((f) => f.group === group)
              .filter((f) => !(f.onCreateOnly && !creating))
              .filter((f) => !(f.key === 'api_key' && authMethod === 'oauth'))
              .map((f) => (
                <SettingInput
                  key={f.key}
                  field={f}
                  value={values[f.key]}
                  error={fieldErrors[f.key]}
                  stored={f.key === 'api_key' ? (props.subscription?.api_key ?? null) : null}
                  onChange={(v) => set(f.key, v)}
                />
              ))}
          </div>
        </fieldset>
      ))}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : creating ? 'Create subscription' : 'Save settings'}
        </button>
      </div>
    </form>
  );
}

function SettingInput(props: {
  field: SettingsField;
  value: string | boolean;
  error?: string;
  stored: string | null;
  onChange: (v: string | boolean) => void;
}) {
  const { field: f } = props;
  const defaultNote =
    f.default !== undefined && f.kind !== 'checkbox' ? ` Default: ${String(f.default)}.` : '';
  const storedNote = props.stored ? ` Stored key: ${props.stored} (leave blank to keep it).` : '';
  const hint = `${f.hint ?? ''}${defaultNote}${storedNote}`.trim() || undefined;
  const inputId = `setting-${f.key}`;
  if (f.kind === 'checkbox') {
    return (
      <div className={`field field-checkbox${props.error ? ' field-invalid' : ''}`}>
        <label htmlFor={inputId}>
          <input
            id={inputId}
            type="checkbox"
            name={f.key}
            checked={Boolean(props.value)}
            onChange={(e) => props.onChange(e.target.checked)}
            aria-describedby={hint ? `${inputId}-hint` : undefined}
          />{' '}
          {f.label}
        </label>
        {hint ? (
          <div className="hint" id={`${inputId}-hint`}>
            {hint}
          </div>
        ) : null}
        {props.error ? (
          <div className="field-error" role="alert">
            {props.error}
          </div>
        ) : null}
      </div>
    );
  }
  return (
    <FieldRow id={inputId} label={f.label} required={f.required} hint={hint} error={props.error}>
      {({ describedBy, invalid }) =>
        f.kind === 'select' ? (
          <select
            id={inputId}
            name={f.key}
            value={String(props.value)}
            onChange={(e) => props.onChange(e.target.value)}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            required={f.required}
          >
            {[...new Set([...(f.options ?? []), String(props.value)])].filter(Boolean).map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        ) : (
          <input
            id={inputId}
            name={f.key}
            type={
              f.kind === 'number'
                ? 'number'
                : f.kind === 'password'
                  ? 'password'
                  : f.kind === 'url'
                    ? 'url'
                    : 'text'
            }
            autoComplete={f.kind === 'password' ? 'new-password' : 'off'}
            min={f.min}
            placeholder={f.placeholder}
            value={String(props.value)}
            onChange={(e) => props.onChange(e.target.value)}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            aria-required={f.required || undefined}
          />
        )
      }
    </FieldRow>
  );
}
