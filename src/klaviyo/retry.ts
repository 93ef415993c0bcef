import type { KlaviyoError } from './errors.ts';

export interface RetryPolicy {
  /** Total tries, the first one included. */
  maxAttempts: number;
  /** Backoff ceiling for attempt n is min(maxDelayMs, baseDelayMs * 2^(n-1)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Sum of all waits one call may spend before giving up (Retry-After included). */
  maxTotalWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxTotalWaitMs: 120_000,
};

/** Finds a header whatever its case; Node lower-cases names but other hands (and tests) may not. */
export function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === wanted) {
      const value = headers[key];
      return Array.isArray(value) ? value[0] : value;
    }
  }
  return undefined;
}

/** A Retry-After longer than this is taken as this: a server cannot park a tier or a transfer for weeks. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;

/**
 * An HTTP Retry-After as milliseconds from `nowMs`: delay-seconds (decimals taken as meant) or an HTTP
 * date, capped at MAX_RETRY_AFTER_MS; undefined when absent or unreadable. The one parser of the service:
 * the client's 429 handling, the transfer engine and webhook deliveries use it (the sandbox keeps its own).
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  // An HTTP date starts with the day's name; anything else that is not plain seconds is not a delay.
  const ms = /^\d+(\.\d+)?$/.test(text)
    ? Math.ceil(Number(text) * 1000)
    : /^[A-Za-z]/.test(text)
      ? Date.parse(text) - nowMs
      : Number.NaN;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/** Full jitter: a uniform draw below the exponential ceiling (spreads retries of many clients apart). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/**
 * Whether to try again after `error` on attempt `attempt` (1-based), having already waited `waitedMs`.
 * Never earlier than Retry-After; gives up rather than exceed the attempt or total-wait bound.
 */
export function decideRetry(
  error: KlaviyoError,
  attempt: number,
  waitedMs: number,
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  if (error.kind !== 'transient') return { retry: false, reason: `${error.kind} errors are not retried` };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: `gave up after ${attempt} attempts` };
  const delayMs = Math.max(error.retryAfterMs ?? 0, backoffDelay(attempt, policy, random));
  if (waitedMs + delayMs > policy.maxTotalWaitMs) {
    return {
      retry: false,
      reason: `waiting ${delayMs} ms more would pass the ${policy.maxTotalWaitMs} ms bound`,
    };
  }
  return { retry: true, delayMs };
}
