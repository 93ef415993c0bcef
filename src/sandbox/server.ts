// The HTTP front of the sandbox: routes /api requests to operation handlers after Klaviyo's checks
// (revision, authentication, scope, rate limit, content type, payload size), and hands /oauth and /__sandbox
// to their modules. Plain node:http keeps the per-request cost low enough for benchmarks.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, type ApiRequest, type ApiResult, errorBody } from './http.ts';
import { noteRequestBody } from './observer.ts';
import { OPERATIONS, type OperationSpec } from './operations.ts';
import type { RateLimiter } from './ratelimit.ts';
import type { SandboxState } from './sandbox-state.ts';

export type Handler = (req: ApiRequest) => ApiResult | Promise<ApiResult>;

interface Route {
  operation: OperationSpec;
  pattern: RegExp;
  paramNames: string[];
  handler: Handler;
}

const KNOWN_REVISIONS = [
  '2022-10-17',
  '2023-01-24',
  '2023-02-22',
  '2023-06-15',
  '2023-07-15',
  '2023-08-15',
  '2023-09-15',
  '2023-10-15',
  '2023-12-15',
  '2024-02-15',
  '2024-05-15',
  '2024-06-15',
  '2024-07-15',
  '2024-10-15',
  '2025-01-15',
  '2025-04-15',
  '2025-07-15',
  '2025-10-15',
  '2026-01-15',
  '2026-04-15',
  '2026-07-15',
  '2026-10-15',
];
/** Revisions older than two years are retired (Klaviyo's versioning policy); they answer 410. */
const FIRST_LIVE_REVISION = '2025-01-15';

const ACCEPTED_CONTENT_TYPES = new Set(['application/vnd.api+json', 'application/json']);
const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024;
const PROFILE_BODY_LIMIT = 100 * 1024;
const SMALL_BODY_OPERATIONS = new Set(['create_profile', 'update_profile', 'create_or_update_profile']);

export interface ApiServerOptions {
  state: SandboxState;
  limiter: RateLimiter | undefined;
  handlers: Record<string, Handler>;
  /** The status of a refused credential: 401 (default) or 400, which Klaviyo's guide says it may use. */
  authFailureStatus?: 400 | 401;
}

/**
 * Klaviyo's answer to credentials it does not accept: `not_authenticated` when none (or another scheme) came,
 * `authentication_failed` for a key or token it does not know, each with Klaviyo's own title.
 */
function authError(
  status: number,
  code: 'not_authenticated' | 'authentication_failed',
  detail: string,
): ApiError {
  const error = new ApiError(status, code, detail);
  (error as { title: string }).title =
    code === 'not_authenticated'
      ? 'Authentication credentials were not provided.'
      : 'Incorrect authentication credentials.';
  return error;
}

export function buildRoutes(handlers: Record<string, Handler>): Route[] {
  return OPERATIONS.filter((operation) => handlers[operation.operationId]).map((operation) => {
    const paramNames: string[] = [];
    const source = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      paramNames.push(name);
      return '([^/]+)';
    });
    return {
      operation,
      pattern: new RegExp(`^${source}/?$`),
      paramNames,
      handler: handlers[operation.operationId],
    };
  });
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/vnd.api+json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? 'too-large' : Buffer.concat(chunks);
}

export function createApiHandler(options: ApiServerOptions) {
  const { state, limiter } = options;
  const routes = buildRoutes(options.handlers);

  function match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | 'method' | undefined {
    let pathMatched = false;
    for (const route of routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      pathMatched = true;
      if (route.operation.method !== method) continue;
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1]);
      });
      return { route, params };
    }
    return pathMatched ? 'method' : undefined;
  }

  function authenticate(
    req: IncomingMessage,
    operation: OperationSpec,
  ): { accountId: string; principal: string } {
    const header = req.headers.authorization;
    const refused = options.authFailureStatus ?? 401;
    if (!header)
      throw authError(refused, 'not_authenticated', 'Authentication credentials were not provided.');
    const [scheme, credential] = header.split(/\s+/, 2);
    if (scheme === 'Klaviyo-API-Key' && credential) {
      const accountId = state.apiKeys.get(credential);
      if (!accountId)
        throw authError(refused, 'authentication_failed', 'Incorrect authentication credentials.');
      return { accountId, principal: `account:${accountId}` };
    }
    if (scheme === 'Bearer' && credential) {
      const token = state.accessTokens.get(credential);
      if (!token || token.expiresAt <= state.now() || !state.tokenIsLive(token)) {
        throw authError(refused, 'authentication_failed', 'Incorrect authentication credentials.');
      }
      const missing = operation.scopes.filter((scope) => !token.scopes.includes(scope));
      if (missing.length > 0) {
        throw new ApiError(
          403,
          'permission_denied',
          `The access token lacks the required scopes: ${missing.join(', ')}.`,
        );
      }
      return { accountId: token.accountId, principal: `install:${token.clientId}:${token.accountId}` };
    }
    throw authError(
      refused,
      'not_authenticated',
      'Missing or invalid authorization scheme. Please use Klaviyo-API-Key.',
    );
  }

  function checkRevision(req: IncomingMessage): void {
    const revision = req.headers.revision;
    if (typeof revision !== 'string' || revision === '') {
      throw new ApiError(400, 'invalid', 'The `revision` header is required.', { parameter: 'revision' });
    }
    const match = /^(\d{4}-\d{2}-\d{2})(\.pre)?$/.exec(revision);
    if (!match || !KNOWN_REVISIONS.includes(match[1])) {
      throw new ApiError(400, 'invalid', `'${revision}' is not a valid revision.`, { parameter: 'revision' });
    }
    if (match[1] < FIRST_LIVE_REVISION) {
      throw new ApiError(410, 'gone', `The revision '${revision}' has been retired.`, {
        parameter: 'revision',
      });
    }
  }

  async function applyFaults(operationId: string): Promise<void> {
    const now = state.now();
    for (const fault of state.faults) {
      if (fault.operation && fault.operation !== operationId) continue;
      if (fault.storm429Until > now) {
        throw Object.assign(new ApiError(429, 'throttled', 'Request was throttled.'), {
          retryAfter: Math.max(1, Math.ceil((fault.storm429Until - now) / 1000)),
        });
      }
      if (fault.latencyMs > 0) await sleep(fault.latencyMs);
      if (fault.errorRate > 0 && Math.random() < fault.errorRate) {
        throw new ApiError(fault.status, 'error', 'An injected sandbox fault occurred.');
      }
    }
  }

  return async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const found = match(method, url.pathname);
    if (found === undefined || found === 'method') {
      req.resume();
      const error =
        found === 'method'
          ? new ApiError(405, 'method_not_allowed', `Method "${method}" not allowed.`)
          : new ApiError(404, 'not_found', 'The requested URL was not found.');
      send(res, error.status, errorBody(error));
      return;
    }
    const { route, params } = found;
    const operationId = route.operation.operationId;
    let rateHeaders: Record<string, string> = {};
    let rateLimited = false;
    try {
      checkRevision(req);
      const { accountId, principal } = authenticate(req, route.operation);
      if (limiter) {
        const decision = limiter.take(principal, route.operation, state.now());
        if (!decision.allowed) {
          throw Object.assign(new ApiError(429, 'throttled', 'Request was throttled.'), {
            retryAfter: decision.retryAfterSeconds,
          });
        }
        rateHeaders = {
          'RateLimit-Limit': String(decision.limit),
          'RateLimit-Remaining': String(decision.remaining),
          'RateLimit-Reset': String(decision.resetSeconds),
        };
      }
      await applyFaults(operationId);
      let body: unknown;
      if (
        method === 'POST' ||
        method === 'PATCH' ||
        (method === 'DELETE' &&
          req.headers['content-length'] !== '0' &&
          (req.headers['content-length'] || req.headers['transfer-encoding']))
      ) {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        // Klaviyo's own SDKs send `application/json`, and Klaviyo accepts it (docs/sandbox.md).
        if (!ACCEPTED_CONTENT_TYPES.has(contentType)) {
          throw new ApiError(
            415,
            'unsupported_media_type',
            `Unsupported media type "${contentType}" in request. Use application/vnd.api+json.`,
          );
        }
        if (req.headers['content-encoding'] && req.headers['content-encoding'] !== 'identity') {
          throw new ApiError(415, 'unsupported_media_type', 'Unsupported content encoding.');
        }
        const raw = await readBody(
          req,
          SMALL_BODY_OPERATIONS.has(operationId) ? PROFILE_BODY_LIMIT : DEFAULT_BODY_LIMIT,
        );
        if (raw === 'too-large')
          throw new ApiError(413, 'payload_too_large', 'The request payload is too large.');
        noteRequestBody(req, raw);
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new ApiError(400, 'parse_error', 'JSON parse error.');
        }
      } else req.resume();
      const result = await route.handler({
        method,
        path: url.pathname,
        query: url.searchParams,
        params,
        body,
        base: `http://${req.headers.host ?? '127.0.0.1'}`,
        account: state.account(accountId),
        state,
        now: state.now(),
      });
      send(res, result.status, result.body, rateHeaders);
    } catch (caught) {
      req.resume();
      if (!(caught instanceof ApiError)) {
        send(res, 500, errorBody(new ApiError(500, 'error', 'A server error occurred.')));
        // A sandbox bug, not a simulated fault: say so where the developer running it will see it.
        process.stderr.write(
          `sandbox: ${operationId} failed: ${(caught as Error)?.stack ?? String(caught)}\n`,
        );
        return;
      }
      if (caught.status === 429) {
        rateLimited = true;
        const retryAfter = (caught as ApiError & { retryAfter?: number }).retryAfter ?? 1;
        send(res, 429, errorBody(caught), { 'Retry-After': String(retryAfter) });
        return;
      }
      send(res, caught.status, errorBody(caught), rateHeaders);
    } finally {
      state.countRequest(operationId, rateLimited);
    }
  };
}
