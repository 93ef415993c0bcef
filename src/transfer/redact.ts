// Secrets never reach the transfer log (docs/security.md): values under secret-sounding keys are masked, and
// strings that look like a Klaviyo key or a bearer token are masked wherever they appear.

const SECRET_KEY =
  /(authorization|api[-_]?key|secret|token|password|cookie|webhook[-_]?key|client[-_]?secret)/i;
const SECRET_VALUE = /\b(pk_[A-Za-z0-9]{6,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,}|Klaviyo-API-Key\s+\S+)/g;

export const REDACTED = '[redacted]';

export function redactString(s: string): string {
  return s.replace(SECRET_VALUE, REDACTED);
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[too deep]';
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        SECRET_KEY.test(k) && v !== null && v !== undefined && v !== '' ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}
