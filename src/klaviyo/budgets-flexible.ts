import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { BucketUsage, BudgetWindow, RateBudgetStore, ServerRateReport } from './budgets.ts';

export interface LimiterShape {
  keyPrefix: string;
  points: number;
  /** Seconds. */
  duration: number;
}

/** Builds one limiter per window shape; give it RateLimiterPostgres to share budgets between processes. */
export type LimiterFactory = (shape: LimiterShape) => RateLimiterAbstract;

const memoryLimiter: LimiterFactory = (shape) => new RateLimiterMemory(shape);

/**
 * A RateBudgetStore on rate-limiter-flexible limiters, so any of its backends (memory, PostgreSQL…) can hold
 * the budgets. Its windows are fixed and run on the backend's clock, so `nowMs` is not used, and across a
 * window edge up to twice a limit can pass; the sliding MemoryRateBudgetStore is the default for that reason.
 */
export class FlexibleRateBudgetStore implements RateBudgetStore {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private readonly makeLimiter: LimiterFactory;
  private readonly blocks: RateLimiterAbstract;

  constructor(makeLimiter: LimiterFactory = memoryLimiter) {
    this.makeLimiter = makeLimiter;
    // One point: block() marks a bucket over its limit for the Retry-After seconds.
    this.blocks = makeLimiter({ keyPrefix: 'klaviyo-block', points: 1, duration: 1 });
  }

  async take(bucket: string, windows: readonly BudgetWindow[], _nowMs: number): Promise<number> {
    const blocked = await this.blocks.get(bucket);
    if (blocked && blocked.consumedPoints > 1 && blocked.msBeforeNext > 0) return blocked.msBeforeNext;
    const spent: RateLimiterAbstract[] = [];
    for (const w of windows) {
      const limiter = this.limiter(w);
      try {
        await limiter.consume(bucket, 1);
        spent.push(limiter);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // All or nothing: give back what the earlier windows took for this refused call.
        for (const done of spent) await done.reward(bucket, 1);
        return Math.max(1, rejection.msBeforeNext);
      }
    }
    return 0;
  }

  async block(bucket: string, untilMs: number): Promise<void> {
    const seconds = Math.ceil((untilMs - Date.now()) / 1000);
    if (seconds > 0) await this.blocks.block(bucket, seconds);
  }

  async observe(
    bucket: string,
    windows: readonly BudgetWindow[],
    report: ServerRateReport,
    _nowMs: number,
  ): Promise<void> {
    const steady = windows.find((w) => w.name === 'steady');
    if (!steady || report.remaining === undefined) return;
    const limiter = this.limiter(steady);
    const ours = await limiter.get(bucket);
    const ourRemaining = steady.limit - (ours?.consumedPoints ?? 0);
    const missing = Math.min(steady.limit, ourRemaining - report.remaining);
    if (missing > 0) await limiter.penalty(bucket, missing);
  }

  async usage(bucket: string, windows: readonly BudgetWindow[], _nowMs: number): Promise<BucketUsage> {
    const blocked = await this.blocks.get(bucket);
    return {
      windows: await Promise.all(
        windows.map(async (w) => ({
          name: w.name,
          used: Math.min(w.limit, (await this.limiter(w).get(bucket))?.consumedPoints ?? 0),
          limit: w.limit,
        })),
      ),
      blockedUntil: blocked && blocked.consumedPoints > 1 ? Date.now() + blocked.msBeforeNext : 0,
    };
  }

  private limiter(w: BudgetWindow): RateLimiterAbstract {
    const duration = Math.ceil(w.windowMs / 1000);
    const key = `${w.name}:${w.limit}:${duration}`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = this.makeLimiter({ keyPrefix: `klaviyo-${key}`, points: w.limit, duration });
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}
