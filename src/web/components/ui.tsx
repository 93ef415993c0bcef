// Small building blocks shared by the pages: labelled fields, the error banner, status badges.
import { type ReactNode, useId } from 'react';
import { ApiError } from '../api.ts';

export function FieldRow(props: {
  id?: string;
  label: string;
  required?: boolean;
  hint?: ReactNode;
  error?: string | null;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}) {
  const generated = useId();
  const id = props.id ?? generated;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [props.hint ? hintId : null, props.error ? errorId : null].filter(Boolean).join(' ');
  return (
    <div className={`field${props.error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {props.label}
        {props.required ? (
          // Screen readers learn "required" from the control itself (required / aria-required).
          <span className="required" aria-hidden="true" title="required">
            {' '}
            *
          </span>
        ) : null}
      </label>
      {props.children({ id, describedBy: describedBy || undefined, invalid: Boolean(props.error) })}
      {props.hint ? (
        <div className="hint" id={hintId}>
          {props.hint}
        </div>
      ) : null}
      {props.error ? (
        <div className="field-error" id={errorId} role="alert">
          {props.error}
        </div>
      ) : null}
    </div>
  );
}

/** `showCode: false` where the sentence is all a person needs (the sign-in page). */
export function ErrorBanner({ error, showCode = true }: { error: unknown; showCode?: boolean }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = showCode && error instanceof ApiError ? error.code : null;
  return (
    <div className="banner banner-error" role="alert">
      {code ? <code className="code">{code}</code> : null} {message}
    </div>
  );
}

export function Notice({
  children,
  kind = 'info',
}: {
  children: ReactNode;
  kind?: 'info' | 'success' | 'warn';
}) {
  return (
    <div className={`banner banner-${kind}`} role="status">
      {children}
    </div>
  );
}

/**
 * A status line that stays in the page while empty, so that screen readers read its text when it
 * appears: a live region inserted together with its text is often not announced.
 */
export function LiveNotice({
  children,
  kind = 'success',
}: {
  children: ReactNode;
  kind?: 'info' | 'success' | 'warn';
}) {
  return (
    <div className={children ? `banner banner-${kind}` : undefined} role="status">
      {children}
    </div>
  );
}

const STATUS_TEXT: Record<string, string> = {
  not_connected: 'Not connected',
  connected: 'Connected',
  needs_authorization: 'Needs authorization',
  authorization_revoked: 'Authorization revoked',
  error: 'Error',
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{STATUS_TEXT[status] ?? status.replace(/_/g, ' ')}</span>;
}

export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'long' });
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="json" title={label}>
      {typeof value === 'string' ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}
