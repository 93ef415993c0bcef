import type { ErrorCode } from '../domain/errors.ts';
import { DEFAULT_REVISION } from './revisions.ts';

export type KlaviyoErrorKind = 'transient' | 'auth' | 'conflict' | 'not_found' | 'invalid';

/** One entry of Klaviyo's JSON:API `errors[]`. */
export interface KlaviyoApiError {
  id?: string;
  status?: number;
  code?: string;
  title?: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string };
  meta?: Record<string, unknown>;
}

export interface KlaviyoErrorInit {
  status: number;
  code: ErrorCode;
  kind: KlaviyoErrorKind;
  message: string;
  errors?: KlaviyoApiError[];
  retryAfterMs?: number;
  operationId?: string;
  cause?: unknown;
  /** On AUTH_FORBIDDEN_SCOPE: the scopes the operation needs that the credentials lack (as far as known). */
  missingScopes?: readonly string[];
}

/** Every failure of a Klaviyo call: an HTTP answer we do not accept, a timeout, or a network failure. */
export class KlaviyoError extends Error {
  /** HTTP status; 0 when no answer arrived (timeout, network). */
  readonly status: number;
  readonly code: ErrorCode;
  readonly kind: KlaviyoErrorKind;
  readonly errors: KlaviyoApiError[];
  readonly retryAfterMs?: number;
  readonly operationId?: string;
  readonly missingScopes?: readonly string[];

  constructor(init: KlaviyoErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'KlaviyoError';
    this.status = init.status;
    this.code = init.code;
    this.kind = init.kind;
    this.errors = init.errors ?? [];
    this.retryAfterMs = init.retryAfterMs;
    this.operationId = init.operationId;
    this.missingScopes = init.missingScopes;
  }

  /** The input Klaviyo blamed: a JSON pointer such as `/data/attributes/phone_number`, or a query parameter. */
  get field(): string | undefined {
    const source = this.errors.find((e) => e.source?.pointer || e.source?.parameter)?.source;
    return source?.pointer ?? source?.parameter;
  }

  /** On a 409 duplicate_profile, the id of the profile that already holds the identifiers. */
  get duplicateProfileId(): string | undefined {
    for (const e of this.errors) {
      const id = e.meta?.duplicate_profile_id;
      if (typeof id === 'string') return id;
    }
    return undefined;
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

/** Reads `errors[]` from a response body; tolerant of bodies that are not JSON:API (proxies, HTML pages). */
export function parseKlaviyoErrors(body: unknown): KlaviyoApiError[] {
  if (!body || typeof body !== 'object') return [];
  const list = (body as { errors?: unknown }).errors;
  if (!Array.isArray(list)) return [];
  return list.filter((e): e is Record<string, unknown> => !!e && typeof e === 'object').map(toApiError);
}

function toApiError(raw: Record<string, unknown>): KlaviyoApiError {
  const source = raw.source && typeof raw.source === 'object' ? (raw.source as Record<string, unknown>) : {};
  const status = typeof raw.status === 'number' ? raw.status : Number(raw.status);
  return {
    id: str(raw.id),
    status: Number.isFinite(status) ? status : undefined,
    code: str(raw.code),
    title: str(raw.title),
    detail: str(raw.detail),
    source:
      str(source.pointer) || str(source.parameter)
        ? { pointer: str(source.pointer), parameter: str(source.parameter) }
        : undefined,
    meta: raw.meta && typeof raw.meta === 'object' ? (raw.meta as Record<string, unknown>) : undefined,
  };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Klaviyo's error codes for credentials it does not accept. Klaviyo's authentication guide says an invalid or
 * missing key can come as 400 as well as 401, so these are recognised by code whatever the status.
 */
const AUTH_FAILURE_CODES = new Set(['not_authenticated', 'authentication_failed']);
/** Klaviyo's code for credentials that are valid but lack a scope (usually with a 403). */
const PERMISSION_CODES = new Set(['permission_denied']);

export function classifyStatus(status: number): KlaviyoErrorKind {
  if (status === 429 || status >= 500 || status === 408) return 'transient';
  // 410 is a retired revision: the subscription's setting, not the record (see projectCodeFor).
  if (status === 401 || status === 403 || status === 410) return 'auth';
  if (status === 409) return 'conflict';
  if (status === 404) return 'not_found';
  return 'invalid';
}

/** A 400 that blames the `revision` header: Klaviyo does not know the revision sent. */
function blamesRevision(errors: KlaviyoApiError[]): boolean {
  return errors.some(
    (e) =>
      e.source?.parameter === 'revision' ||
      (!e.source?.pointer && /\brevision\b/i.test(`${e.detail ?? ''} ${e.title ?? ''}`)),
  );
}

/** The project code and kind of an HTTP failure: Klaviyo's error codes first, then the status and pointer. */
export function classifyResponse(
  status: number,
  errors: KlaviyoApiError[],
  authKind: 'api_key' | 'oauth',
): { code: ErrorCode; kind: KlaviyoErrorKind } {
  if (status === 429 || status >= 500)
    return { code: projectCodeFor(status, errors, authKind), kind: 'transient' };
  const codes = errors.map((e) => e.code ?? '');
  if (codes.some((c) => AUTH_FAILURE_CODES.has(c)))
    return { code: authKind === 'oauth' ? 'AUTH_REVOKED' : 'AUTH_INVALID_KEY', kind: 'auth' };
  if (codes.some((c) => PERMISSION_CODES.has(c))) return { code: 'AUTH_FORBIDDEN_SCOPE', kind: 'auth' };
  if (status === 400 && blamesRevision(errors)) return { code: 'KLAVIYO_REVISION_UNKNOWN', kind: 'auth' };
  return { code: projectCodeFor(status, errors, authKind), kind: classifyStatus(status) };
}

/** The project code for an HTTP failure, from the status first and Klaviyo's error code and pointer second. */
export function projectCodeFor(
  status: number,
  errors: KlaviyoApiError[],
  authKind: 'api_key' | 'oauth',
): ErrorCode {
  const codes = errors.map((e) => e.code ?? '');
  const fields = errors.map((e) => `${e.source?.pointer ?? ''} ${e.source?.parameter ?? ''}`).join(' ');
  if (status === 429) return 'KLAVIYO_RATE_LIMITED';
  if (status === 504) return 'KLAVIYO_TIMEOUT';
  if (status >= 500) return 'KLAVIYO_UNAVAILABLE';
  if (codes.some((c) => AUTH_FAILURE_CODES.has(c)) || status === 401)
    return authKind === 'oauth' ? 'AUTH_REVOKED' : 'AUTH_INVALID_KEY';
  if (status === 403 || codes.some((c) => PERMISSION_CODES.has(c))) return 'AUTH_FORBIDDEN_SCOPE';
  // Klaviyo answers 410 Gone to every call of a retired revision; the service calls nothing else that is gone.
  if (status === 410) return 'KLAVIYO_REVISION_RETIRED';
  if (status === 400 && blamesRevision(errors)) return 'KLAVIYO_REVISION_UNKNOWN';
  if (status === 409)
    return codes.includes('duplicate_profile') ? 'KLAVIYO_DUPLICATE_PROFILE' : 'KLAVIYO_CONFLICT';
  if (status === 413) return 'KLAVIYO_PAYLOAD_TOO_LARGE';
  if (status === 404) {
    return /\/lists?\b/.test(fields) ? 'KLAVIYO_LIST_NOT_FOUND' : 'KLAVIYO_NOT_FOUND';
  }
  if (/phone_number/.test(fields)) return 'KLAVIYO_PHONE_INVALID';
  if (/\bemail\b/.test(fields)) return 'KLAVIYO_EMAIL_INVALID';
  return 'KLAVIYO_INVALID_INPUT';
}

/** Builds the error for an HTTP answer. The message quotes Klaviyo's title/detail, never request headers. */
export function errorFromResponse(input: {
  status: number;
  body: unknown;
  retryAfterMs?: number;
  operationId?: string;
  authKind: 'api_key' | 'oauth';
  /** The revision the request sent, for the message of a revision refusal. */
  revision?: string;
  /** The operation's scopes and, when known (OAuth), those granted: a 403 names the missing ones. */
  scopes?: { required: readonly string[]; granted?: readonly string[] };
}): KlaviyoError {
  const errors = parseKlaviyoErrors(input.body);
  const first = errors[0];
  const where = first?.source?.pointer ?? first?.source?.parameter;
  const said = first ? [first.title, first.detail].filter(Boolean).join(' ') : '';
  const answered =
    `Klaviyo answered ${input.status}${input.operationId ? ` to ${input.operationId}` : ''}` +
    (said ? `: ${said}` : '') +
    (where ? ` (at ${where})` : '');
  const { code, kind } = classifyResponse(input.status, errors, input.authKind);
  let message = answered;
  let missingScopes: readonly string[] | undefined;
  const revision = input.revision ?? DEFAULT_REVISION;
  const moveTo =
    revision === DEFAULT_REVISION
      ? `Clear the subscription's API Revision or update klaviyo-sync (its default is ${DEFAULT_REVISION})`
      : `Set the subscription's API Revision to ${DEFAULT_REVISION} (the service's default) or clear it`;
  if (code === 'KLAVIYO_REVISION_RETIRED') {
    message = `Klaviyo has retired API revision ${revision} (${answered}). ${moveTo}; transfers wait and resume once it is changed.`;
  } else if (code === 'KLAVIYO_REVISION_UNKNOWN') {
    message = `Klaviyo does not accept API revision ${revision} (${answered}). ${moveTo}; transfers wait and resume once it is changed.`;
  } else if (code === 'AUTH_FORBIDDEN_SCOPE' && input.scopes && input.scopes.required.length > 0) {
    const { required, granted } = input.scopes;
    const lacking = granted ? required.filter((s) => !granted.includes(s)) : [];
    missingScopes = lacking.length > 0 ? lacking : [...required];
    message = `${answered}. ${input.operationId ?? 'This call'} needs the scope${missingScopes.length === 1 ? '' : 's'} ${missingScopes.join(', ')}, which the ${input.authKind === 'oauth' ? 'OAuth authorization' : 'API key'} lacks.`;
  }
  return new KlaviyoError({
    status: input.status,
    code,
    kind,
    message,
    errors,
    retryAfterMs: input.retryAfterMs,
    operationId: input.operationId,
    missingScopes,
  });
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** Wraps a failure below HTTP (no status): timeouts and network errors are both transient. */
export function errorFromFailure(cause: unknown, operationId?: string): KlaviyoError {
  if (cause instanceof KlaviyoError) return cause;
  const errCode = (cause as { code?: unknown })?.code;
  const timedOut = typeof errCode === 'string' && TIMEOUT_CODES.has(errCode);
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new KlaviyoError({
    status: 0,
    code: timedOut ? 'KLAVIYO_TIMEOUT' : 'KLAVIYO_NETWORK_ERROR',
    kind: 'transient',
    message: `${timedOut ? 'Klaviyo did not answer in time' : 'Could not reach Klaviyo'}${
      operationId ? ` (${operationId})` : ''
    }: ${reason}`,
    operationId,
    cause,
  });
}
