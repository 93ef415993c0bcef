// Request deletion in Klaviyo (docs/flows.md): the one way the service deletes anything in Klaviyo, so it asks
// for a confirmation naming exactly what will be requested, then follows the transfer that carries it.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, get, post } from '../api.ts';
import { ErrorBanner, FieldRow, LiveNotice } from '../components/ui.tsx';

const IDENTIFIERS = {
  customer_id: { label: 'Hub customer id', hint: 'Its linked Klaviyo profile, else its email address.' },
  profile_id: { label: 'Klaviyo profile id', hint: 'The profile with this id.' },
  email: { label: 'Email address', hint: 'Every Klaviyo profile with this email address.' },
  phone_number: {
    label: 'Phone number',
    hint: 'Every Klaviyo profile with this phone number, in E.164 form (e.g. +14155552671).',
  },
} as const;
type IdentifierKind = keyof typeof IDENTIFIERS;

interface DeletionAnswer {
  requested: Record<string, string>;
  transfer_id: string;
}

interface TransferDetail {
  id: string;
  state: string;
  error_code: string | null;
  error_message: string | null;
  steps?: { kind: string; message: string }[];
}

const FINISHED = new Set(['succeeded', 'skipped', 'failed', 'dead']);

function describe(requested: Record<string, string>): string {
  const [[kind, value]] = Object.entries(requested);
  return `${IDENTIFIERS[kind as IdentifierKind]?.label ?? kind} ${value}`;
}

export function PrivacyDeletion({ subscriptionId }: { subscriptionId: string }) {
  const [kind, setKind] = useState<IdentifierKind>('customer_id');
  const [value, setValue] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [answer, setAnswer] = useState<DeletionAnswer | null>(null);
  const [transfer, setTransfer] = useState<TransferDetail | null>(null);
  const valueRef = useRef<HTMLInputElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const requestRef = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);

  // The confirmation step replaces the button that opened it, so the focus is moved by hand: to Cancel
  // (the harmless choice) when it opens, and back to the field in error or the request button when it
  // closes, instead of being dropped on the page.
  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
    else if (wasConfirming.current) (fieldError ? valueRef.current : requestRef.current)?.focus();
    wasConfirming.current = confirming;
  }, [confirming, fieldError]);

  useEffect(() => {
    if (!answer) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = async () => {
      const found = await get<TransferDetail>(`/api/v1/transfers/${encodeURIComponent(answer.transfer_id)}`);
      if (stopped) return;
      setTransfer(found);
      if (!FINISHED.has(found.state)) timer = setTimeout(() => refresh().catch(() => {}), 2000);
    };
    refresh().catch(setError);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [answer]);

  const ask = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setFieldError(null);
    if (!value.trim()) {
      setFieldError(`Enter the ${IDENTIFIERS[kind].label.toLowerCase()}.`);
      valueRef.current?.focus();
      return;
    }
    setConfirming(true);
  };

  const confirm = async () => {
    setBusy(true);
    try {
      const made = await post<DeletionAnswer>(
        `/api/v1/subscriptions/${encodeURIComponent(subscriptionId)}/privacy-deletions`,
        { [kind]: value.trim() },
      );
      setTransfer(null);
      setAnswer(made);
      setValue('');
    } catch (err) {
      if (err instanceof ApiError && err.field && err.field in IDENTIFIERS) setFieldError(err.message);
      else setError(err);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <section className="card" aria-labelledby="privacy-deletion-title">
      <h2 id="privacy-deletion-title">Request deletion in Klaviyo</h2>
      <p className="muted small">
        Asks Klaviyo to delete a profile and all its data (a data-privacy deletion). It cannot be undone. The
        hub customer is kept; its link to the profile is removed once Klaviyo accepts the request.
      </p>
      <ErrorBanner error={error} />
      <form onSubmit={ask} noValidate aria-label="Request deletion in Klaviyo">
        <FieldRow label="Identify the profile by">
          {({ id }) => (
            <select
              id={id}
              name="identifier"
              value={kind}
              disabled={confirming}
              onChange={(e) => {
                setKind(e.target.value as IdentifierKind);
                setFieldError(null);
              }}
            >
              {Object.entries(IDENTIFIERS).map(([key, { label }]) => (
                <option key={key} value={key}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </FieldRow>
        <FieldRow label={IDENTIFIERS[kind].label} required hint={IDENTIFIERS[kind].hint} error={fieldError}>
          {({ id, describedBy, invalid }) => (
            <input
              ref={valueRef}
              id={id}
              name={kind}
              type={kind === 'email' ? 'email' : kind === 'phone_number' ? 'tel' : 'text'}
              aria-required
              readOnly={confirming}
              value={value}
              onChange={(e) => setValue(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
            />
          )}
        </FieldRow>
        {confirming ? (
          <div
            className="banner banner-warn"
            role="alertdialog"
            aria-label="Confirm the deletion request"
            onKeyDown={(e) => {
              if (e.key === 'Escape' && !busy) setConfirming(false);
            }}
          >
            <p>
              Ask Klaviyo to permanently delete the profile for {IDENTIFIERS[kind].label.toLowerCase()}{' '}
              <strong>{value.trim()}</strong>?
            </p>
            <div className="actions">
              <button type="button" className="danger" onClick={confirm} disabled={busy}>
                Confirm deletion request
              </button>
              <button type="button" ref={cancelRef} onClick={() => setConfirming(false)} disabled={busy}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <div className="actions">
            <button type="submit" className="danger" ref={requestRef}>
              Request deletion in Klaviyo…
            </button>
          </div>
        )}
      </form>
      <LiveNotice>
        {answer
          ? `Deletion requested for ${describe(answer.requested)} (transfer ${answer.transfer_id}${transfer ? `: ${transfer.state}` : ''}).`
          : null}
      </LiveNotice>
      {answer ? (
        <div>
          {transfer?.error_message ? (
            <p className="field-error">
              {transfer.error_code ? <code className="code">{transfer.error_code}</code> : null}{' '}
              {transfer.error_message}
            </p>
          ) : null}
          {transfer?.steps?.length ? (
            <ul aria-label="Deletion request steps">
              {transfer.steps.map((step, i) => (
                // Steps are append-only; their position is a stable key.
                // biome-ignore lint/suspicious/noArrayIndexKey: see above
                <li key={i}>{step.message}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
