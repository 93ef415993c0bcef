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

/** A Retry-After longer than this is taken as this: a receiver cannot park a transfer for weeks. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;

/**
 * An HTTP Retry-After (delay in seconds, or an HTTP date) as milliseconds from `nowMs`; undefined when
 * absent or unreadable. Capped at MAX_RETRY_AFTER_MS.
 */
export function retryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  // An HTTP date starts with the day's name; anything else numeric-looking is not a valid delay.
  const ms = /^\d+$/.test(text)
    ? Number(text) * 1000
    : /^[A-Za-z]/.test(text)
      ? Date.parse(text) - nowMs
      : Number.NaN;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}
