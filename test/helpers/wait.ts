// Waiting for an outcome that the service reaches on its own time (queues, workers, jobs), without a fixed
// sleep: the one polling helper of the tests.

/**
 * Resolves with the first truthy answer of `check` (sync or async), asked every 25 ms; fails after
 * `timeoutMs` naming `what`.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
