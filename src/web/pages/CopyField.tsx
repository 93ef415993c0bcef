// A one-time secret (an invitation link, an API token) shown once: a read-only field that can be
// selected on a phone, a Copy button, and Done, which takes the focus so the secret is where the user
// lands.
import { useEffect, useId, useRef, useState } from 'react';

export function CopyField(props: { label: string; value: string; testId: string; onDone: () => void }) {
  const id = useId();
  const doneRef = useRef<HTMLButtonElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  useEffect(() => {
    doneRef.current?.focus();
  }, []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied('Copied.');
    } catch {
      setCopied('The browser did not allow copying: select the text and copy it.');
    }
  };
  return (
    <div className="copy-field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        readOnly
        className="mono"
        value={props.value}
        data-testid={props.testId}
        onFocus={(e) => e.currentTarget.select()}
      />
      <div className="actions">
        <button type="button" onClick={copy}>
          Copy
        </button>
        <button type="button" ref={doneRef} onClick={props.onDone}>
          Done
        </button>
        <span role="status" className="muted small">
          {copied}
        </span>
      </div>
    </div>
  );
}
