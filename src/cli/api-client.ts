// How the CLI talks to a running service: its REST API (docs/api.md), so the commands work the same
// against a service on this machine or on another one, on SQLite or PostgreSQL, and go through the same
// validation, authorization and transactional enqueue as every other client.
//
// Where:  --url, else KLAVIYO_SYNC_URL, else http://127.0.0.1:<KLAVIYO_SYNC_PORT or 3000>.
// Who:    --token, else KLAVIYO_SYNC_TOKEN (an API token, sent as a bearer token); else, when
//         KLAVIYO_SYNC_ADMIN_PASSWORD is set (the variable that created the admin on first start), the
//         CLI signs in as `admin` with it and uses the session, so on the service's own machine and
//         environment no token is needed.
import { Readable } from 'node:stream';

export interface ConnectionFlags {
  url?: string;
  token?: string;
}

export interface Connection {
  baseUrl: string;
  token?: string;
  adminPassword?: string;
}

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  let baseUrl = (flags.url ?? env.KLAVIYO_SYNC_URL ?? `http://127.0.0.1:${env.KLAVIYO_SYNC_PORT || 3000}`)
    .trim()
    .replace(/\/+$/, '');
  // `--url 127.0.0.1:3000` (host and port, as the service prints them) means plain http, as curl reads it.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(baseUrl)) baseUrl = `http://${baseUrl}`;
  const token = flags.token ?? (env.KLAVIYO_SYNC_TOKEN || undefined);
  return { baseUrl, token, adminPassword: token ? undefined : env.KLAVIYO_SYNC_ADMIN_PASSWORD || undefined };
}

/** An error answer of the API, or a failure to reach it, in words a person can act on. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export interface ImportRejection {
  line: number;
  code?: string;
  message: string;
  field?: string;
}

export interface ImportReport {
  accepted: number;
  /** All rejected lines, counted. */
  rejectedCount: number;
  /** The rejected lines the service reported (it may report only the first ones). */
  rejected: ImportRejection[];
  [key: string]: unknown;
}

export interface ApiClient {
  readonly baseUrl: string;
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Asks who is signed in, so a wrong token fails before any work starts (a 401 as ApiError). */
  checkAuth(): Promise<void>;
  /** Streams NDJSON to `POST /api/v1/<collection>/import`; `onBytes` sees the bytes as they are sent. */
  importNdjson(
    collection: string,
    source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
    onBytes?: (sent: number) => void,
  ): Promise<ImportReport>;
  /** Every page of a list route, following next_cursor. */
  listAll<T = unknown>(path: string, query?: Record<string, string | number | undefined>): Promise<T[]>;
}

export interface ApiClientOptions extends Connection {
  fetch?: typeof fetch;
}

type Auth = { headers: Record<string, string> };

export function createApiClient(options: ApiClientOptions): ApiClient {
  const doFetch = options.fetch ?? fetch;
  const baseUrl = options.baseUrl;
  let auth: Promise<Auth> | undefined;

  const send = async (path: string, init: RequestInit & { duplex?: 'half' }): Promise<Response> => {
    try {
      return await doFetch(`${baseUrl}${path}`, init);
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new ApiError(
        0,
        'SERVICE_UNREACHABLE',
        `Could not reach klaviyo-sync at ${baseUrl} (${reason}). Start it with \`klaviyo-sync start\`, or point ` +
          'the CLI at it with --url or KLAVIYO_SYNC_URL.',
      );
    }
  };

  const fail = async (response: Response): Promise<never> => {
    let body: { error?: { code?: string; message?: string; field?: string } } | undefined;
    try {
      body = (await response.json()) as typeof body;
    } catch {
      body = undefined;
    }
    const code = body?.error?.code ?? `HTTP_${response.status}`;
    // An answer without the service's error shape comes from something else listening at that address.
    let message =
      body?.error?.message ??
      `${baseUrl} answered ${response.status} ${response.statusText}, which is not an answer of klaviyo-sync: ` +
        'check --url or KLAVIYO_SYNC_URL.';
    if (response.status === 401) message += ` — ${signInHint(options)}`;
    throw new ApiError(response.status, code, message, body?.error?.field);
  };

  const signIn = async (): Promise<Auth> => {
    if (options.token) return { headers: { authorization: `Bearer ${options.token}` } };
    if (!options.adminPassword) return { headers: {} };
    const response = await send('/api/v1/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: options.adminPassword }),
    });
    if (!response.ok) await fail(response);
    const { csrf_token: csrf } = (await response.json()) as { csrf_token: string };
    const cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return { headers: { cookie, 'x-csrf-token': csrf } };
  };
  const authHeaders = async () => {
    auth ??= signIn();
    return (await auth).headers;
  };

  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { accept: 'application/json', ...(await authHeaders()) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await send(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) await fail(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  };

  return {
    baseUrl,
    request,
    async checkAuth() {
      await request('GET', '/api/v1/session');
    },
    async importNdjson(collection, source, onBytes) {
      let sent = 0;
      const counted = Readable.from(
        (async function* () {
          for await (const chunk of source) {
            const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
            sent += bytes.byteLength;
            onBytes?.(sent);
            yield bytes;
          }
        })(),
      );
      const response = await send(`/api/v1/${collection}/import`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          accept: 'application/json',
          ...(await authHeaders()),
        },
        body: Readable.toWeb(counted) as ReadableStream<Uint8Array>,
        duplex: 'half',
      });
      if (!response.ok) await fail(response);
      return normalizeImportReport(await response.json());
    },
    async listAll<T>(path: string, query: Record<string, string | number | undefined> = {}) {
      const items: T[] = [];
      let cursor: string | null | undefined;
      do {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
        if (cursor) params.set('cursor', cursor);
        const qs = params.toString();
        const page = await request<{ data: T[]; next_cursor?: string | null }>(
          'GET',
          qs ? `${path}?${qs}` : path,
        );
        items.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor);
      return items;
    },
  };
}

/** What to do about a 401, depending on which credential the CLI sent (a retry with the same one fails again). */
function signInHint(connection: Connection): string {
  if (connection.token) {
    return (
      'the API token (--token or KLAVIYO_SYNC_TOKEN) was refused: it is wrong or was revoked. Make a new ' +
      `one on the console's API tokens page (${connection.baseUrl}/tokens) or with POST /api/v1/tokens.`
    );
  }
  if (connection.adminPassword) {
    return (
      'signing in as admin with KLAVIYO_SYNC_ADMIN_PASSWORD was refused: the admin password was changed or ' +
      'set differently at first start. Pass an API token with --token or KLAVIYO_SYNC_TOKEN instead.'
    );
  }
  return (
    "pass an API token with --token or KLAVIYO_SYNC_TOKEN (create one on the console's API tokens page, " +
    `${connection.baseUrl}/tokens, or with POST /api/v1/tokens), or set KLAVIYO_SYNC_ADMIN_PASSWORD to sign in as admin.`
  );
}

/** The hub's import answer (`{accepted, rejected: <count>, errors: [{line, message, field}]}`) in one shape. */
export function normalizeImportReport(raw: unknown): ImportReport {
  const r = (raw ?? {}) as Record<string, unknown>;
  const list = Array.isArray(r.errors) ? r.errors : Array.isArray(r.rejected) ? r.rejected : [];
  const rejected = (list as Record<string, unknown>[]).map((item) => {
    const nested = (item.error ?? {}) as Record<string, unknown>;
    return {
      line: Number(item.line ?? item.line_number ?? 0),
      code: (item.code ?? nested.code) as string | undefined,
      message: String(item.message ?? nested.message ?? 'rejected'),
      field: (item.field ?? nested.field) as string | undefined,
    };
  });
  const rejectedCount = typeof r.rejected === 'number' ? r.rejected : rejected.length;
  return { ...r, accepted: Number(r.accepted ?? 0), rejectedCount, rejected };
}

/**
 * The service's answers and an unreachable service carry their stable code (docs/errors.md), so scripts
 * and people can look it up; the CLI's own checks of its arguments need none.
 */
export function describeError(error: Error): string {
  if (error instanceof ApiError && (error.status > 0 || error.code === 'SERVICE_UNREACHABLE')) {
    return `${error.code}: ${error.message}`;
  }
  return error.message;
}

/**
 * Runs a command body and turns the errors a person can act on into one line on stderr and exit code 1,
 * instead of a stack trace. Anything else is a bug and keeps its stack.
 */
export async function reportErrors(
  body: () => Promise<void>,
  known: (new (...args: never[]) => Error)[] = [],
) {
  try {
    await body();
  } catch (error) {
    if (error instanceof ApiError || known.some((kind) => error instanceof kind)) {
      process.stderr.write(`klaviyo-sync: ${describeError(error as Error)}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}
