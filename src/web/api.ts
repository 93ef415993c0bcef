// The console's only door to the service: JSON over the REST API (docs/api.md) with the session cookie,
// and the CSRF token from sign-in on every write. Errors arrive as {"error":{code,message,field?}}.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export interface ListPage<T> {
  data: T[];
  next_cursor: string | null;
}

const CSRF_KEY = 'klaviyo-sync.csrf';
const unauthenticatedListeners = new Set<(error: ApiError) => void>();

/** Called on every 401 except a refused sign-in; the error says why (e.g. SESSION_EXPIRED). */
export function onUnauthenticated(listener: (error: ApiError) => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export function setCsrfToken(token: string | null): void {
  // Kept for the tab's life only, so a page refresh does not sign the user out of writes.
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

function csrfToken(): string | null {
  return sessionStorage.getItem(CSRF_KEY);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = csrfToken();
  if (method !== 'GET' && token) headers['x-csrf-token'] = token;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'The service did not answer. Is it running?');
  }
  const text = await res.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
    const error = new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? `The service answered ${res.status} ${res.statusText}.`,
      err?.field,
    );
    // A refused sign-in is the sign-in page's own business; every other 401 ends the session.
    const isSignIn = method === 'POST' && path === '/api/v1/session';
    if (res.status === 401 && !isSignIn) {
      for (const listener of unauthenticatedListeners) listener(error);
    }
    throw error;
  }
  return parsed as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** Lists answer {data,next_cursor}; a few older routes answer a bare array. Accept both. */
export function listData<T>(answer: ListPage<T> | T[] | { data?: T[] } | null | undefined): T[] {
  if (!answer) return [];
  if (Array.isArray(answer)) return answer;
  return answer.data ?? [];
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
