// Exchange summaries go to logs; credentials must never reach them (SPEC: secrets never reach logs).

const SECRET_KEY = /secret|token|password|api[_-]?key|authorization|refresh|private/i;
const MAX_DEPTH = 8;

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization') {
      const scheme = value.split(' ')[0];
      out[name] = `${scheme} [redacted]`;
    } else {
      out[name] = SECRET_KEY.test(name) ? '[redacted]' : value;
    }
  }
  return out;
}

/** A copy of a JSON value with secret-looking keys masked. */
export function redactBody(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((item) => redactBody(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      SECRET_KEY.test(key) && inner !== null && typeof inner !== 'object'
        ? '[redacted]'
        : redactBody(inner, depth + 1);
  }
  return out;
}

/** Masks secret-looking query parameters of a URL (a `next` link could carry one). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of [...params.keys()]) {
    if (SECRET_KEY.test(key)) {
      params.set(key, '[redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}
