// The stable error codes users see (SPEC S12). Every failure a person can meet — in an API answer, the
// transfer log or the console — carries one of these codes and a message saying what to do.
// docs/errors.md describes each one; keep the two in step.

export const ERROR_CODES = {
  // Input and API usage
  VALIDATION_FAILED: 400,
  BODY_TOO_LARGE: 413,
  /** A JSON value nested deeper than the service accepts (it could not be stored or written out). */
  INPUT_TOO_DEEP: 400,
  /** A string holds NUL or an unpaired UTF-16 surrogate, which the stores cannot keep. */
  INPUT_CHARACTER_NOT_ALLOWED: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  /** The session cookie names a session that ended (expired, signed out): sign in again. */
  SESSION_EXPIRED: 401,
  FORBIDDEN: 403,
  CSRF_TOKEN_INVALID: 403,
  LOGIN_RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  // Subscriptions and authentication
  INITIALIZATION_NOT_SUPPORTED: 400,
  SUBSCRIPTION_NAME_TAKEN: 400,
  API_URL_NOT_ALLOWED: 400,
  AUTH_REVOKED: 401,
  AUTH_INVALID_KEY: 401,
  AUTH_MISSING: 401,
  AUTH_FORBIDDEN_SCOPE: 403,
  OAUTH_NOT_CONFIGURED: 400,
  OAUTH_STATE_INVALID: 400,
  OAUTH_ACCESS_DENIED: 400,
  OAUTH_AUTHORIZATION_DATA_MISSING: 400,
  /** Unlink asked of a subscription that uses an API key and holds no OAuth tokens: nothing to unlink. */
  OAUTH_NOT_LINKED: 409,
  OAUTH_TOKEN_EXCHANGE_FAILED: 502,
  OAUTH_REFRESH_FAILED: 502,
  HOOK_KEY_INVALID: 401,
  // Klaviyo answers
  KLAVIYO_RATE_LIMITED: 429,
  KLAVIYO_UNAVAILABLE: 503,
  KLAVIYO_TIMEOUT: 504,
  KLAVIYO_NETWORK_ERROR: 502,
  KLAVIYO_INVALID_INPUT: 400,
  KLAVIYO_NOT_FOUND: 404,
  KLAVIYO_CONFLICT: 409,
  KLAVIYO_DUPLICATE_PROFILE: 409,
  /** An Add met an existing record on the other side and the collection's collision handling is `error`. */
  RECORD_COLLISION: 409,
  KLAVIYO_PHONE_INVALID: 400,
  KLAVIYO_EMAIL_INVALID: 400,
  KLAVIYO_LIST_NOT_FOUND: 404,
  KLAVIYO_PAYLOAD_TOO_LARGE: 413,
  KLAVIYO_BULK_JOB_FAILED: 502,
  /** Klaviyo retired the API revision the subscription sends (410): the subscription pauses. */
  KLAVIYO_REVISION_RETIRED: 400,
  /** Klaviyo does not know the API revision the subscription sends (400 on `revision`): it pauses. */
  KLAVIYO_REVISION_UNKNOWN: 400,
  /** Klaviyo answered success with a body the service cannot rely on (missing id, unknown status…). */
  KLAVIYO_UNEXPECTED_RESPONSE: 502,
  // Mappings and transfers
  MAPPING_REQUIRED_FIELD_MISSING: 400,
  MAPPING_FORMULA_INVALID: 400,
  MAPPING_FORMULA_FAILED: 400,
  MAPPING_UNKNOWN_FIELD: 400,
  MAPPING_FILTER_NOT_BOOLEAN: 400,
  MAPPING_ERROR_FILTER: 400,
  MAPPING_PARENT_MISSING: 400,
  MAPPING_DUPLICATE_ADD_COLLECTION: 400,
  MANUAL_SYNC_TOO_MANY_IDS: 400,
  TRANSFER_NOT_RETRYABLE: 409,
  /** The worker stopped (crash, expired lease) while running the transfer too many times: set aside. */
  TRANSFER_ABANDONED: 500,
  /** A worker's lease on a batch ran out and the transfers were taken back: it writes nothing more. */
  TRANSFER_CLAIM_LOST: 409,
  RECORD_NOT_FOUND: 404,
  // Outbound hub webhooks
  WEBHOOK_URL_NOT_ALLOWED: 400,
  WEBHOOK_DELIVERY_FAILED: 502,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Failures about the subscription's access or settings, not the record: they pause every transfer of the
 * subscription (none is failed) until it is connected again (docs/errors.md).
 */
export const SUBSCRIPTION_PAUSING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'AUTH_REVOKED',
  'AUTH_INVALID_KEY',
  'AUTH_MISSING',
  'AUTH_FORBIDDEN_SCOPE',
  'KLAVIYO_REVISION_RETIRED',
  'KLAVIYO_REVISION_UNKNOWN',
]);

export interface AppErrorOptions {
  /** The input field (JSON path or setting name) the error is about, when there is one. */
  field?: string;
  /** HTTP status to answer with; defaults to the code's usual status. */
  status?: number;
  cause?: unknown;
  /** Extra facts safe to show (never secrets). */
  details?: Record<string, unknown>;
}

/** An error a person will see: a stable code, a plain message, and optionally the field at fault. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code];
    this.field = options.field;
    this.details = options.details;
  }

  /** The API's error body (SPEC S8.1). */
  toJSON(): { error: { code: ErrorCode; message: string; field?: string } } {
    return {
      error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) },
    };
  }
}
