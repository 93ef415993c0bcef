// What counts as a secret outside the encrypted store, written once for the service log and the transfer
// log (docs/security.md, "Logs"): values under secret-sounding keys are masked at any depth, and strings that
// look like a Klaviyo private key or a bearer token are masked wherever they appear. The Klaviyo client keeps
// its own rules for the exchange summaries it hands out (src/klaviyo/redact.ts).

export const REDACTED = '[redacted]';

/** Keys whose values are secrets: credentials, tokens (CSRF tokens too), cookies, webhook keys. */
const SECRET_KEY =
  /(authorization|api[-_]?key|secret|token|password|cookie|webhook[-_]?key|client[-_]?secret)/i;
/** Secrets recognisable by their shape wherever they appear in text. */
const SECRET_VALUE = /\b(pk_[A-Za-z0-9]{6,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,}|Klaviyo-API-Key\s+\S+)/g;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

const masks = (key: string, value: unknown) =>
  isSecretKey(key) && value !== null && value !== undefined && value !== '';

export function redactString(s: string): string {
  return s.replace(SECRET_VALUE, REDACTED);
}

/** A redacted copy of a JSON value (the transfer log's steps and messages). */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[too deep]';
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = masks(k, v) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  return value;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The same rules for a log line's fields. Only plain objects and arrays are walked: requests, responses and
 * errors are left to their serializers, which write only safe parts (and `scrubUrl` masks query secrets).
 */
export function redactLogFields(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = masks(k, v) ? REDACTED : redactLogValue(v, depth + 1);
  return out;
}

function redactLogValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (depth > 20) return value;
  if (Array.isArray(value)) return value.map((v) => redactLogValue(v, depth + 1));
  if (isPlain(value)) return redactLogFields(value, depth);
  return value;
}

/** Header paths the request and response serializers could expose; pino masks them on top of the above. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
];

/** Query parameters that carry one-time secrets (setup links, OAuth codes and state). */
const SECRET_QUERY_PARAMS = new Set(['token', 'access_token', 'refresh_token', 'api_key', 'key']);
const OAUTH_QUERY_PARAMS = new Set(['code', 'state']);

/** A request URL for the log: secret query values masked (OAuth's code and state on /oauth/ paths). */
export function scrubUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const oauthPath = url.startsWith('/oauth/');
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) {
    const k = key.toLowerCase();
    if (SECRET_QUERY_PARAMS.has(k) || (oauthPath && OAUTH_QUERY_PARAMS.has(k))) params.set(key, REDACTED);
  }
  return `${url.slice(0, q)}?${params.toString()}`;
}
