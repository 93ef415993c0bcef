// Splitting a list into parts of at most `size` items: for `IN (…)` lists a database takes in one
// statement, API calls with a per-request limit, and ids read a page at a time.

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new Error(`chunk size must be at least 1, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
