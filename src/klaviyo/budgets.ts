import type { RateTier } from './endpoints.ts';

export type WindowName = 'burst' | 'steady' | 'daily';

export interface BudgetWindow {
  name: WindowName;
  limit: number;
  windowMs: number;
}

/** What the server said about the steady window (RateLimit-Limit/Remaining/Reset). */
export interface ServerRateReport {
  limit?: number;
  remaining?: number;
  resetMs?: number;
}

export interface WindowUsage {
  name: WindowName;
  used: number;
  limit: number;
}

export interface BucketUsage {
  windows: WindowUsage[];
  /** Epoch ms until which a 429 blocked the bucket; 0 when not blocked. */
  blockedUntil: number;
}

/**
 * Where budgets live. A bucket is one (budget key, tier); every call of that tier spends one unit from each
 * of its windows. The in-memory store serves one process; a database-backed store can implement the same
 * four methods so several workers spend one account's quota (SPEC S7).
 */
export interface RateBudgetStore {
  /** Spends one unit from every window, or nothing; answers 0 when spent, else the ms to wait first. */
  take(bucket: string, windows: readonly BudgetWindow[], nowMs: number): Promise<number>;
  /** After a 429: nothing of this bucket leaves before `untilMs`. */
  block(bucket: string, untilMs: number): Promise<void>;
  /** Folds the server's view of the steady window into ours (it sees other clients of the same quota). */
  observe(
    bucket: string,
    windows: readonly BudgetWindow[],
    report: ServerRateReport,
    nowMs: number,
  ): Promise<void>;
  usage(bucket: string, windows: readonly BudgetWindow[], nowMs: number): Promise<BucketUsage>;
  /**
   * The call granted at `grantedMs` was answered at `answeredMs`: Klaviyo counted it somewhere between, so
   * its slot is held until a window after the answer. Until settled, a grant keeps its slot even past its
   * window (a stall can hold a call back that long). Optional: a store without it keeps grant times only.
   */
  settle?(bucket: string, windows: readonly BudgetWindow[], grantedMs: number, answeredMs: number): void;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const DAY = 24 * 60 * MINUTE;

/**
 * Extra room for the distance between our clock and Klaviyo's windows. A request reaches Klaviyo some time
 * after its grant (network, a busy event loop), and not always the same time: when the first request of a
 * server window arrives late and later ones on time, grants spread over a little more than a window land in
 * one. The sliding log therefore keeps each window `skewMs` longer than Klaviyo's and leaves `reserve` of
 * the steady limit unspent, so jitter up to the skew never turns into a 429 (docs/klaviyo-client.md).
 */
export interface WindowSafety {
  /** Added to the burst window (on top of the margin). */
  burstSkewMs?: number;
  /** Added to the steady window (on top of the margin). */
  steadySkewMs?: number;
  /** Share of the steady limit left unspent (at least one call when set). */
  steadyReserve?: number;
}

/** What the transport uses: 200 ms more on the 1 s window, 1 s more and 1% less on the 60 s window. */
export const STEADY_SAFETY: WindowSafety = { burstSkewMs: 200, steadySkewMs: 1000, steadyReserve: 0.01 };

/**
 * The windows of a tier. `marginMs` widens each window a little: our clock and Klaviyo's do not start a
 * window at the same instant, and requests sent one window apart can arrive closer together than that.
 * `safety` adds what arrival jitter needs (STEADY_SAFETY); without it the arithmetic is exact (tests).
 */
export function windowsFor(tier: RateTier, marginMs: number, safety: WindowSafety = {}): BudgetWindow[] {
  const reserve = safety.steadyReserve ? Math.max(1, Math.floor(tier.steady * safety.steadyReserve)) : 0;
  const windows: BudgetWindow[] = [
    { name: 'burst', limit: tier.burst, windowMs: SECOND + marginMs + (safety.burstSkewMs ?? 0) },
    {
      name: 'steady',
      limit: Math.max(1, tier.steady - reserve),
      windowMs: MINUTE + marginMs + (safety.steadySkewMs ?? 0),
    },
  ];
  if (tier.daily) windows.push({ name: 'daily', limit: tier.daily, windowMs: DAY + marginMs });
  return windows;
}

/**
 * A sliding log of grant times: at most `limit` grants inside any `windowMs`. Sliding rather than fixed
 * windows because a fixed window of ours, unaligned with Klaviyo's, lets 2x the limit through across an edge.
 */
export class SlidingWindowLog {
  private readonly times: number[] = [];
  private head = 0;

  count(nowMs: number, windowMs: number): number {
    this.prune(nowMs, windowMs);
    return this.times.length - this.head;
  }

  /** Ms until a slot frees, 0 when one is free now. */
  waitFor(nowMs: number, windowMs: number, limit: number): number {
    const used = this.count(nowMs, windowMs);
    if (used < limit) return 0;
    const freeing = this.times[this.head + used - limit];
    return Math.max(1, freeing + windowMs - nowMs);
  }

  /** Records a grant at `atMs`, keeping the log ordered (server reports may add entries dated earlier). */
  add(atMs: number): void {
    let i = this.times.length;
    while (i > this.head && this.times[i - 1] > atMs) i--;
    this.times.splice(i, 0, atMs);
  }

  /** Takes back a grant made at `atMs` (used when a later gate refused the call it was for). */
  remove(atMs: number): void {
    const i = this.times.lastIndexOf(atMs);
    if (i >= this.head) this.times.splice(i, 1);
  }

  private prune(nowMs: number, windowMs: number): void {
    while (this.head < this.times.length && this.times[this.head] + windowMs <= nowMs) this.head++;
    // Compact now and then so a long-lived log does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
  }
}

interface Bucket {
  logs: Map<WindowName, SlidingWindowLog>;
  /** Grant times of calls not answered yet, oldest first. */
  inFlight: number[];
  /** Lower limits learned from RateLimit-Limit. */
  limits: Map<WindowName, number>;
  blockedUntil: number;
}

/** How soon a take looks again when only unanswered calls fill a window. */
const HELD_RECHECK_MS = 10;

/** Budgets for one process. Shared by every client built without an explicit store. */
export class MemoryRateBudgetStore implements RateBudgetStore {
  private readonly buckets = new Map<string, Bucket>();

  async take(bucketKey: string, windows: readonly BudgetWindow[], nowMs: number): Promise<number> {
    return this.takeNow(bucketKey, windows, nowMs);
  }

  /**
   * Synchronous core of take(); the async signature is for stores that need I/O. With `settles`, the caller
   * promises to settle() the grant once answered, and the grant holds its slot until then.
   */
  takeNow(bucketKey: string, windows: readonly BudgetWindow[], nowMs: number, settles = false): number {
    const bucket = this.bucket(bucketKey);
    if (bucket.blockedUntil > nowMs) return bucket.blockedUntil - nowMs;
    let wait = 0;
    for (const w of windows) {
      // Unanswered calls whose grant has left the window still hold a slot (see settle).
      let held = 0;
      for (const at of bucket.inFlight) if (at + w.windowMs <= nowMs) held++;
      const limit = this.limitOf(bucket, w) - held;
      // Held slots free when their answers arrive; until then look again shortly.
      wait = Math.max(
        wait,
        limit <= 0 ? HELD_RECHECK_MS : this.log(bucket, w.name).waitFor(nowMs, w.windowMs, limit),
      );
    }
    if (wait > 0) return wait;
    for (const w of windows) this.log(bucket, w.name).add(nowMs);
    if (settles) bucket.inFlight.push(nowMs);
    return 0;
  }

  settle(bucketKey: string, windows: readonly BudgetWindow[], grantedMs: number, answeredMs: number): void {
    const bucket = this.bucket(bucketKey);
    const at = bucket.inFlight.indexOf(grantedMs);
    if (at < 0) return;
    bucket.inFlight.splice(at, 1);
    for (const w of windows) {
      const log = this.log(bucket, w.name);
      log.remove(grantedMs);
      log.add(Math.max(grantedMs, answeredMs));
    }
  }

  async block(bucketKey: string, untilMs: number): Promise<void> {
    const bucket = this.bucket(bucketKey);
    bucket.blockedUntil = Math.max(bucket.blockedUntil, untilMs);
  }

  async observe(
    bucketKey: string,
    windows: readonly BudgetWindow[],
    report: ServerRateReport,
    nowMs: number,
  ): Promise<void> {
    const steady = windows.find((w) => w.name === 'steady');
    if (!steady) return;
    const bucket = this.bucket(bucketKey);
    if (report.limit !== undefined && report.limit > 0 && report.limit < steady.limit) {
      bucket.limits.set('steady', report.limit);
    }
    if (report.remaining === undefined) return;
    const log = this.log(bucket, 'steady');
    const limit = this.limitOf(bucket, steady);
    const ourRemaining = limit - log.count(nowMs, steady.windowMs);
    const missing = Math.min(limit, ourRemaining - report.remaining);
    if (missing <= 0) return;
    // Someone else spent these (another process, another tool on the same key). Date them so they expire
    // when the server's window resets, not a whole window from now.
    const expiresAt = nowMs + Math.min(report.resetMs ?? steady.windowMs, steady.windowMs);
    for (let i = 0; i < missing; i++) log.add(expiresAt - steady.windowMs);
  }

  async usage(bucketKey: string, windows: readonly BudgetWindow[], nowMs: number): Promise<BucketUsage> {
    const bucket = this.bucket(bucketKey);
    return {
      windows: windows.map((w) => ({
        name: w.name,
        used: this.log(bucket, w.name).count(nowMs, w.windowMs),
        limit: this.limitOf(bucket, w),
      })),
      blockedUntil: bucket.blockedUntil > nowMs ? bucket.blockedUntil : 0,
    };
  }

  private bucket(key: string): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { logs: new Map(), inFlight: [], limits: new Map(), blockedUntil: 0 };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private log(bucket: Bucket, name: WindowName): SlidingWindowLog {
    let log = bucket.logs.get(name);
    if (!log) {
      log = new SlidingWindowLog();
      bucket.logs.set(name, log);
    }
    return log;
  }

  private limitOf(bucket: Bucket, w: BudgetWindow): number {
    return Math.min(w.limit, bucket.limits.get(w.name) ?? w.limit);
  }
}

let processStore: MemoryRateBudgetStore | undefined;

/** The default store: one per process, so every client of one budget key spends the same budget. */
export function processBudgetStore(): MemoryRateBudgetStore {
  processStore ??= new MemoryRateBudgetStore();
  return processStore;
}

/** Caps calls in flight; waiters are served in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly max: number;

  constructor(max: number) {
    this.max = Math.max(1, max);
  }

  get inFlight(): number {
    return this.active;
  }

  acquire(): Promise<void> | undefined {
    if (this.active < this.max) {
      this.active++;
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) next();
    else this.active--;
  }
}
