import type { ErrorCode } from '../domain/errors.ts';

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

  constructor(init: KlaviyoErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'KlaviyoError';
    this.status = init.status;
    this.code = init.code;
    this.kind = init.kind;
    this.errors = init.errors ?? [];
    this.retryAfterMs = init.retryAfterMs;
    this.operationId = init.operationId;
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

export function classifyStatus(status: number): KlaviyoErrorKind {
  if (status === 429 || status >= 500 || status === 408) return 'transient';
  if (status === 401 || status === 403) return 'auth';
  if (status === 409) return 'conflict';
  if (status === 404 || status === 410) return 'not_found';
  return 'invalid';
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
  if (status === 401) return authKind === 'oauth' ? 'AUTH_REVOKED' : 'AUTH_INVALID_KEY';
  if (status === 403) return 'AUTH_FORBIDDEN_SCOPE';
  if (status === 409)
    return codes.includes('duplicate_profile') ? 'KLAVIYO_DUPLICATE_PROFILE' : 'KLAVIYO_CONFLICT';
  if (status === 413) return 'KLAVIYO_PAYLOAD_TOO_LARGE';
  if (status === 404 || status === 410) {
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
}): KlaviyoError {
  const errors = parseKlaviyoErrors(input.body);
  const first = errors[0];
  const where = first?.source?.pointer ?? first?.source?.parameter;
  const said = first ? [first.title, first.detail].filter(Boolean).join(' ') : '';
  const message =
    `Klaviyo answered ${input.status}${input.operationId ? ` to ${input.operationId}` : ''}` +
    (said ? `: ${said}` : '') +
    (where ? ` (at ${where})` : '');
  return new KlaviyoError({
    status: input.status,
    code: projectCodeFor(input.status, errors, input.authKind),
    kind: classifyStatus(input.status),
    message,
    errors,
    retryAfterMs: input.retryAfterMs,
    operationId: input.operationId,
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
