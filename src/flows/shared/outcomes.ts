// Klaviyo's answers turned into the outcomes a person reads in the transfer log (SPEC S6, S12): a stable
// code, whether the transfer will be retried, and a message saying what happened and what to do. Auth
// failures pause the subscription instead of failing the record, so no record is lost while access is
// being fixed.
import { AppError, ERROR_CODES, type ErrorCode, SUBSCRIPTION_PAUSING_CODES } from '../../domain/errors.ts';

const PAUSING = SUBSCRIPTION_PAUSING_CODES;

/** The shape of the client's KlaviyoError that the flows rely on (see src/klaviyo/errors.ts). */
export interface KlaviyoErrorLike {
  status: number;
  /** The client's S12 code (KlaviyoError.code), or Klaviyo's own code in hand-made errors. */
  code?: string;
  kind: 'transient' | 'auth' | 'conflict' | 'not_found' | 'invalid';
  errors?: readonly KlaviyoErrorEntry[];
  duplicateProfileId?: string;
  message?: string;
  /** On a 403: the scopes the call needs that the credentials lack (the client names them). */
  missingScopes?: readonly string[];
}

export interface KlaviyoErrorEntry {
  code?: string;
  title?: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string };
  meta?: Record<string, unknown>;
}

export type FailureOutcome =
  | { status: 'failed'; code: ErrorCode; message: string; retryable: boolean }
  | { status: 'paused'; code: ErrorCode; message: string };

const KINDS = new Set(['transient', 'auth', 'conflict', 'not_found', 'invalid']);

export function isKlaviyoError(error: unknown): error is KlaviyoErrorLike {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as Partial<KlaviyoErrorLike>;
  return (
    typeof candidate.status === 'number' && typeof candidate.kind === 'string' && KINDS.has(candidate.kind)
  );
}

/** `/data/attributes/profiles/data/3/attributes/phone_number` → `phone_number`. */
export function fieldOfPointer(pointer: string | undefined): string | undefined {
  if (!pointer) return undefined;
  const parts = pointer.split('/').filter(Boolean);
  const at = parts.lastIndexOf('attributes');
  const tail = at >= 0 ? parts.slice(at + 1) : parts.slice(-1);
  return tail.length > 0 ? tail.join('.') : undefined;
}

/**
 * Indexes a bulk refusal names: pointers like `/data/attributes/<collection>/data/<n>/…`. Undefined when
 * no entry names a position (the caller then bisects).
 */
export function refusedIndexes(error: unknown, collection: string): number[] | undefined {
  if (!isKlaviyoError(error) || !error.errors) return undefined;
  const pattern = new RegExp(
    `^/data/attributes/${collection.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}/data/(\\d+)(/|$)`,
  );
  const found = new Set<number>();
  for (const entry of error.errors) {
    const match = entry.source?.pointer ? pattern.exec(entry.source.pointer) : null;
    if (!match) return undefined;
    found.add(Number(match[1]));
  }
  return found.size > 0 ? [...found].sort((a, b) => a - b) : undefined;
}

function klaviyoDetail(error: KlaviyoErrorLike): string {
  const first = error.errors?.[0];
  const text = first?.detail || first?.title || error.message || `HTTP ${error.status}`;
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}

function mentions(error: KlaviyoErrorLike, word: string): boolean {
  return (error.errors ?? []).some(
    (entry) =>
      (entry.source?.pointer ?? '').includes(word) ||
      (entry.detail ?? '').toLowerCase().includes(word.replace('_', ' ')) ||
      (entry.detail ?? '').toLowerCase().includes(word),
  );
}

function retryLater(code: ErrorCode, message: string): FailureOutcome {
  return { status: 'failed', code, message, retryable: true };
}

function permanent(code: ErrorCode, message: string): FailureOutcome {
  return { status: 'failed', code, message, retryable: false };
}

/** The S12 code for a Klaviyo failure: the client's own code when it gave one, else derived here. */
function codeFor(error: KlaviyoErrorLike): ErrorCode {
  if (error.code && error.code in ERROR_CODES) return error.code as ErrorCode;
  switch (error.kind) {
    case 'transient':
      if (error.status === 429) return 'KLAVIYO_RATE_LIMITED';
      if (error.status === 504) return 'KLAVIYO_TIMEOUT';
      return error.status === 0 ? 'KLAVIYO_NETWORK_ERROR' : 'KLAVIYO_UNAVAILABLE';
    case 'auth':
      return error.status === 403 ? 'AUTH_FORBIDDEN_SCOPE' : 'AUTH_INVALID_KEY';
    case 'conflict':
      return error.code === 'duplicate_profile' || error.duplicateProfileId
        ? 'KLAVIYO_DUPLICATE_PROFILE'
        : 'KLAVIYO_CONFLICT';
    case 'not_found':
      return 'KLAVIYO_NOT_FOUND';
    case 'invalid': {
      if (error.status === 413) return 'KLAVIYO_PAYLOAD_TOO_LARGE';
      if (mentions(error, 'phone_number')) return 'KLAVIYO_PHONE_INVALID';
      if (mentions(error, 'email')) return 'KLAVIYO_EMAIL_INVALID';
      return 'KLAVIYO_INVALID_INPUT';
    }
  }
  return 'INTERNAL_ERROR';
}

/**
 * The outcome for a failed Klaviyo call. `doing` names the call in words ("creating the profile",
 * "sending the Placed Order event") so the message reads as a sentence.
 */
export function outcomeForError(error: unknown, doing: string): FailureOutcome {
  if (error instanceof AppError) {
    if (PAUSING.has(error.code)) return { status: 'paused', code: error.code, message: error.message };
    const retryable = error.status >= 500 || error.status === 429;
    return { status: 'failed', code: error.code, message: error.message, retryable };
  }
  if (!isKlaviyoError(error)) {
    const text = error instanceof Error ? error.message : String(error);
    return retryLater(
      'INTERNAL_ERROR',
      `Unexpected error while ${doing}: ${text}. The transfer will be retried.`,
    );
  }
  const detail = klaviyoDetail(error);
  const code = codeFor(error);
  switch (code) {
    case 'KLAVIYO_RATE_LIMITED':
      return retryLater(
        code,
        `Klaviyo's rate limit was reached while ${doing}; the transfer will be retried automatically. If this ` +
          `happens often, another integration may share the account's quota: lower the subscription's API ` +
          `Throttle Limit or Concurrent Connections, or connect with OAuth for a quota of its own.`,
      );
    case 'KLAVIYO_TIMEOUT':
      return retryLater(
        code,
        `Klaviyo did not answer in time while ${doing}; the transfer will be retried automatically.`,
      );
    case 'KLAVIYO_NETWORK_ERROR':
      return retryLater(
        code,
        `Klaviyo could not be reached while ${doing} (${detail}); the transfer will be retried automatically. ` +
          `Check the machine's network and the subscription's API URL if it persists.`,
      );
    case 'KLAVIYO_UNAVAILABLE':
      return retryLater(
        code,
        `Klaviyo answered ${error.status} while ${doing}; the transfer will be retried automatically. If it ` +
          `persists, check status.klaviyo.com.`,
      );
    case 'AUTH_FORBIDDEN_SCOPE':
      return {
        status: 'paused',
        code,
        message:
          `Klaviyo refused access while ${doing}: the API key or OAuth app lacks a needed scope` +
          (error.missingScopes?.length ? ` (${error.missingScopes.join(', ')})` : '') +
          ` (${detail}). ` +
          `Transfers wait: create a private key with full access, or click Authenticate to grant the scopes again.`,
      };
    case 'KLAVIYO_REVISION_RETIRED':
    case 'KLAVIYO_REVISION_UNKNOWN':
      // The client's message names the revision sent and the one to move to.
      return { status: 'paused', code, message: `${error.message ?? detail} (found while ${doing})` };
    case 'KLAVIYO_UNEXPECTED_RESPONSE':
      return retryLater(code, `${error.message ?? detail} (while ${doing}); the transfer will be retried.`);
    case 'AUTH_REVOKED':
      return {
        status: 'paused',
        code,
        message: `Klaviyo access was removed (found while ${doing}). Transfers wait: click Authenticate to reconnect.`,
      };
    case 'AUTH_INVALID_KEY':
    case 'AUTH_MISSING':
      return {
        status: 'paused',
        code,
        message:
          `Klaviyo refused the subscription's credentials while ${doing}. Transfers wait: enter a valid private ` +
          `API key or click Authenticate to reconnect.`,
      };
    case 'KLAVIYO_DUPLICATE_PROFILE':
      return permanent(
        code,
        `Klaviyo already has another profile with this email or phone number` +
          (error.duplicateProfileId ? ` (profile ${error.duplicateProfileId})` : '') +
          ` while ${doing}. Merge the two profiles in Klaviyo or correct the customer's email or phone, then retry.`,
      );
    case 'KLAVIYO_CONFLICT':
      return permanent(code, `Klaviyo reported a conflict while ${doing}: ${detail}.`);
    case 'KLAVIYO_NOT_FOUND':
      return permanent(
        code,
        `Klaviyo has no such record while ${doing} (${detail}). It may have been deleted or merged in Klaviyo; ` +
          `remove the record's link or sync it again to recreate it.`,
      );
    case 'KLAVIYO_LIST_NOT_FOUND':
      return permanent(
        code,
        `Klaviyo has no such list while ${doing} (${detail}). It may have been deleted in Klaviyo; create it ` +
          `again or correct the LIST_/UCLIST_ custom field.`,
      );
    case 'KLAVIYO_PAYLOAD_TOO_LARGE':
      return permanent(
        code,
        `Klaviyo refused the data as too large while ${doing} (${detail}). Shorten long text fields or map fewer ` +
          `properties.`,
      );
    case 'KLAVIYO_PHONE_INVALID':
      return permanent(
        code,
        `Klaviyo refused the phone number while ${doing}: ${detail}. Correct the customer's phone number ` +
          `(international form, e.g. +14155552671) or set the subscription's default phone country.`,
      );
    case 'KLAVIYO_EMAIL_INVALID':
      return permanent(
        code,
        `Klaviyo refused the email address while ${doing}: ${detail}. Correct the customer's email address.`,
      );
    default: {
      if (error.kind === 'transient')
        return retryLater(code, `${detail} (while ${doing}); it will be retried.`);
      const pointer = error.errors?.find((entry) => entry.source?.pointer)?.source?.pointer;
      const field = fieldOfPointer(pointer);
      return permanent(
        code === 'INTERNAL_ERROR' ? 'KLAVIYO_INVALID_INPUT' : code,
        `Klaviyo refused the data while ${doing}${field ? ` (field '${field}')` : ''}: ${detail}. Correct the ` +
          `record or the mapping collection that fills this field, then retry.`,
      );
    }
  }
}

/** True when a bulk call's refusal is about its content (bisection can isolate a bad record). */
export function isContentRefusal(error: unknown): boolean {
  return (
    isKlaviyoError(error) &&
    (error.kind === 'invalid' || (error.kind === 'conflict' && !error.duplicateProfileId))
  );
}
