// Outbound data flow toggles and the webhook key of a subscription.
import { useEffect, useRef, useState } from 'react';
import { get, post, put } from '../api.ts';
import { ErrorBanner, Notice } from '../components/ui.tsx';
import type { Subscription } from '../types.ts';

type Flows = Record<string, boolean>;

const SCOPE_TEXT: Record<string, string> = {
  'customer/created': 'Customer created → Klaviyo profile',
  'customer/updated': 'Customer updated → Klaviyo profile',
  'transaction/created': 'Transaction created → order events',
  'transaction/updated': 'Transaction updated → order status events',
  'product/created': 'Product created → catalog item',
  'product/updated': 'Product updated → catalog item',
};

export function FlowToggles({ subscriptionId }: { subscriptionId: string }) {
  const [flows, setFlows] = useState<Flows | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const path = `/api/v1/subscriptions/${encodeURIComponent(subscriptionId)}/flows`;

  useEffect(() => {
    get<Flows | { data: Flows }>(path)
      .then((answer) => setFlows(((answer as { data?: Flows }).data ?? answer) as Flows))
      .catch(setError);
  }, [path]);

  const save = async () => {
    setError(null);
    setSaved(false);
    try {
      const answer = await put<Flows | { data: Flows }>(path, flows);
      setFlows(((answer as { data?: Flows })?.data ?? answer ?? flows) as Flows);
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <fieldset className="card">
      <legend>Outbound data flows</legend>
      <p className="muted small">Which hub changes are sent to Klaviyo for this subscription.</p>
      <ErrorBanner error={error} />
      {flows ? (
        <>
          <div className="toggle-list">
            {Object.keys(flows).map((scope) => (
              <label key={scope} className="toggle">
                <input
                  type="checkbox"
                  name={scope}
                  checked={flows[scope]}
                  onChange={(e) => {
                    setSaved(false);
                    setFlows({ ...flows, [scope]: e.target.checked });
                  }}
                />{' '}
                <code>{scope}</code> <span className="muted">{SCOPE_TEXT[scope] ?? ''}</span>
              </label>
            ))}
          </div>
          <div className="actions">
            <button type="button" onClick={save}>
              Save data flows
            </button>
            {saved ? <span role="status">Saved.</span> : null}
          </div>
        </>
      ) : null}
    </fieldset>
  );
}

/**
 * A webhook key shown once (after creating the subscription or rotating the key). It takes the focus and
 * scrolls into view when it appears, selected for copying, so it is never found at the bottom of a long
 * page after the chance to copy it has gone (docs/console.md).
 */
export function FreshWebhookKey({ value }: { value: string }) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.scrollIntoView({ block: 'center' });
    input.current?.focus();
  }, []);
  return (
    <Notice kind="warn">
      <label htmlFor="fresh-webhook-key">Webhook API Key — copy it now, it is not shown again:</label>
      <input
        id="fresh-webhook-key"
        ref={input}
        readOnly
        value={value}
        onFocus={(e) => e.target.select()}
        className="mono wide"
      />
    </Notice>
  );
}

export function WebhookKey({
  subscription,
  initialKey,
}: {
  subscription: Subscription;
  initialKey?: string | null;
}) {
  const [fresh, setFresh] = useState<string | null>(initialKey ?? null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const hookUrl = `${location.origin}/hooks/${encodeURIComponent(subscription.id)}`;

  const rotate = async () => {
    if (!confirm('Rotate the webhook key? Senders using the old key are refused from now on.')) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await post<Record<string, string>>(
        `/api/v1/subscriptions/${encodeURIComponent(subscription.id)}/webhook-key`,
      );
      setFresh(answer.webhook_api_key ?? null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <fieldset className="card">
      <legend>Inbound notifications</legend>
      <p className="small">
        Senders post to <code>{hookUrl}</code> with <code>Authorization: Bearer &lt;Webhook API Key&gt;</code>
        .
      </p>
      <ErrorBanner error={error} />
      <dl className="facts">
        <dt>Webhook API Key</dt>
        <dd>
          <code>{subscription.webhook_api_key ?? '(generated; shown once when made)'}</code>
        </dd>
      </dl>
      {fresh ? <FreshWebhookKey value={fresh} /> : null}
      <button type="button" onClick={rotate} disabled={busy}>
        {busy ? 'Rotating…' : 'Rotate webhook key'}
      </button>
    </fieldset>
  );
}
