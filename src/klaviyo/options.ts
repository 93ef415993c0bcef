import type { Dispatcher } from 'undici';
import type { RateBudgetStore } from './budgets.ts';
import type { RetryPolicy } from './retry.ts';

// The client's public option and result types, apart from the transport that implements them.

export interface TokenProvider {
  /** The current access token, refreshed ahead of expiry by the provider. */
  getAccessToken(): Promise<string>;
  /** Called once after a 401 that answered `rejectedToken`; returns a fresh token. */
  refreshAccessToken(rejectedToken: string): Promise<string>;
  /** The scopes the authorization granted, when known; a 403 then names only the missing ones. */
  grantedScopes?(): Promise<readonly string[] | undefined>;
}

export type KlaviyoAuth = { kind: 'api_key'; apiKey: string } | { kind: 'oauth'; tokens: TokenProvider };

/** One HTTP exchange, for logs: headers and bodies already redacted. */
export interface ExchangeSummary {
  operationId: string;
  method: string;
  url: string;
  /** 0 when no answer arrived. */
  status: number;
  durationMs: number;
  attempt: number;
  requestHeaders: Record<string, string>;
  requestBody?: unknown;
  responseBody?: unknown;
  /** Project error code when the exchange failed. */
  errorCode?: string;
}

export interface KlaviyoClientOptions {
  /** e.g. https://a.klaviyo.com, or the sandbox's http://127.0.0.1:PORT */
  baseUrl: string;
  auth: KlaviyoAuth;
  /** Klaviyo API revision header; default DEFAULT_REVISION (src/klaviyo/revisions.ts). */
  revision?: string;
  /** Identity of the rate quota: the account for private keys, the app install for OAuth. */
  budgetKey: string;
  /** Default: one in-memory store per process; false turns budgets off. */
  budgets?: RateBudgetStore | false;
  /** Slack added to every budget window, ms (default 50); see windowsFor(). */
  budgetMarginMs?: number;
  /** The subscription's own throttle, on top of Klaviyo's limits. */
  throttle?: { limit: number; seconds: number };
  /** Most requests in flight at once; default 10. */
  concurrency?: number;
  onExchange?: (e: ExchangeSummary) => void;
  /** Asked before each request; false skips building its summary (redacting big bodies costs). */
  wantsExchange?: () => boolean;
  /**
   * Awaited right before each request goes out (after any wait for budget); a throw stops the call with
   * that error. The transfer engine refuses writes here once a worker lost its claim on the batch.
   */
  beforeSend?: () => Promise<void> | void;
  timeouts?: { connectMs?: number; readMs?: number };
  retry?: Partial<RetryPolicy>;
  /** Injected for tests: the clock, the wait, and the jitter source. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** An undici dispatcher to use instead of the shared keep-alive agent. */
  dispatcher?: Dispatcher;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface CallInput {
  /** Values for `{id}` / `{job_id}` in the path. */
  pathParams?: Record<string, string>;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** A full `links.next` URL to GET instead of the operation's path (pagination). */
  url?: string;
}

export interface KlaviyoResponse<T = unknown> {
  status: number;
  body: T;
  /** The operation answered (for the messages of answers that do not fit, src/klaviyo/answers.ts). */
  operationId: string;
}

export interface TierStats {
  tier: string;
  windows: Array<{ name: string; used: number; limit: number }>;
  blockedUntil: number;
}

export interface KlaviyoClientStats {
  /** HTTP requests sent (each retry counts). */
  calls: number;
  rateLimited: number;
  retries: number;
  failures: number;
  tokenRefreshes: number;
  inFlight: number;
  tiers: TierStats[];
}
