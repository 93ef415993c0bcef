// iPaaS.com's retry schedule (reference/ipaas-klaviyo.md §3.11): "10 * attempt * (attempt + 1)" minutes,
// the first attempt being 0 (sent at once), then 20, 60, 120 … minutes.

export const DEFAULT_MAX_ATTEMPTS = 10;

/** Delay before the next try, after `failedAttempts` attempts have failed (1 → 20 min, 2 → 60 min …). */
export function retryDelayMs(failedAttempts: number): number {
  const n = Math.max(0, failedAttempts);
  return 10 * n * (n + 1) * 60_000;
}

/** Whether a transfer that has now failed `failedAttempts` times may run again. */
export function hasAttemptsLeft(failedAttempts: number, maxAttempts: number): boolean {
  return failedAttempts < maxAttempts;
}

/**
 * How many times a transfer's worker may stop while running it (a crash, an expired lease) before the
 * transfer is set aside as `dead` (TRANSFER_ABANDONED). A graceful shutdown does not count.
 */
export const MAX_INTERRUPTIONS = 3;

/** HTTP Retry-After, parsed by the service's one parser (src/klaviyo/retry.ts), capped at 24 hours. */
export { MAX_RETRY_AFTER_MS, parseRetryAfter as retryAfterMs } from '../klaviyo/index.ts';
