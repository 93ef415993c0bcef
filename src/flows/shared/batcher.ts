// Adaptive batching (SPEC S6). Records of one (subscription, flow) are grouped into Klaviyo's bulk calls
// within the endpoint's count and byte limits; with no backlog a record goes alone by the single-record
// endpoint so latency stays low. A bulk call Klaviyo refuses whole because of one bad record is split
// (bisection) until the bad record stands alone, so the good records still go and each record ends with
// its own outcome.

export interface ChunkLimits {
  /** Most items in one call. */
  maxItems: number;
  /** Most bytes of the request body (JSON), when the endpoint has a payload cap. */
  maxBytes?: number;
  /** Bytes of the body around the items (the JSON:API envelope), counted once per call. */
  envelopeBytes?: number;
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/**
 * Split items into calls that respect both limits, in order. An item bigger than the byte cap on its own
 * still gets a call of its own: Klaviyo then refuses it and it alone fails (callers check per-item caps
 * first so that does not cost a request).
 */
export function chunkWithinLimits<T>(
  items: readonly T[],
  limits: ChunkLimits,
  sizeOf: (item: T) => number = jsonBytes,
): T[][] {
  if (limits.maxItems < 1) throw new Error('maxItems must be at least 1');
  const chunks: T[][] = [];
  const envelope = limits.envelopeBytes ?? 256;
  let current: T[] = [];
  let currentBytes = envelope;
  for (const item of items) {
    // +1 for the comma between array elements.
    const size = limits.maxBytes === undefined ? 0 : sizeOf(item) + 1;
    const full =
      current.length >= limits.maxItems ||
      (limits.maxBytes !== undefined && current.length > 0 && currentBytes + size > limits.maxBytes);
    if (full) {
      chunks.push(current);
      current = [];
      currentBytes = envelope;
    }
    current.push(item);
    currentBytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export type ItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface SplitSendOptions<T> {
  /** True when the error means Klaviyo refused the whole call for the content of some item(s). */
  isWholeBatchRefusal(error: unknown): boolean;
  /**
   * Items a refusal names (from the error's source pointer), when it names them. They fail at once and
   * the rest is sent again without them, which costs one call instead of a bisection.
   */
  locateRefused?(error: unknown, items: readonly T[]): number[] | undefined;
  /** Called for every call sent, for the log and the bench's call count. */
  onCall?(size: number, depth: number): void;
}

/**
 * Send items in one call; when the call is refused whole because of some item, isolate the bad items by
 * their named position or by halving, so every item ends with its own result. `send` answers one result
 * per item, in order (a bulk call that succeeds gives every item the same value), or throws for the
 * whole call.
 */
export async function sendSplittingOnRefusal<T, R>(
  items: readonly T[],
  send: (items: readonly T[]) => Promise<ItemResult<R>[]>,
  options: SplitSendOptions<T>,
  depth = 0,
): Promise<ItemResult<R>[]> {
  if (items.length === 0) return [];
  options.onCall?.(items.length, depth);
  let error: unknown;
  try {
    const results = await send(items);
    if (results.length !== items.length) {
      throw new Error(`a batch of ${items.length} answered ${results.length} results`);
    }
    return results;
  } catch (caught) {
    error = caught;
  }
  if (!options.isWholeBatchRefusal(error)) return items.map(() => ({ ok: false, error }));
  if (items.length === 1) return [{ ok: false, error }];

  const named = options.locateRefused?.(error, items)?.filter((index) => index >= 0 && index < items.length);
  if (named && named.length > 0 && named.length < items.length) {
    const refused = new Set(named);
    const rest = items.filter((_, index) => !refused.has(index));
    const restResults = await sendSplittingOnRefusal(rest, send, options, depth + 1);
    const results: ItemResult<R>[] = [];
    let next = 0;
    for (let index = 0; index < items.length; index++) {
      results.push(refused.has(index) ? { ok: false, error } : restResults[next++]);
    }
    return results;
  }

  const middle = Math.ceil(items.length / 2);
  const left = await sendSplittingOnRefusal(items.slice(0, middle), send, options, depth + 1);
  const right = await sendSplittingOnRefusal(items.slice(middle), send, options, depth + 1);
  return [...left, ...right];
}

/** Run `work` over items with at most `limit` in flight, results in input order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(runners);
  return results;
}

export type SendMode = 'single' | 'bulk';

/**
 * Single calls while the backlog is small (lowest latency, and the single endpoints' tiers are larger);
 * bulk once enough records wait that one bulk call replaces many single ones.
 */
export function chooseSendMode(waitingRecords: number, bulkThreshold: number): SendMode {
  return waitingRecords >= bulkThreshold ? 'bulk' : 'single';
}
