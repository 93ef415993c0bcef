// Klaviyo's fixed-window rate limits: a burst window of 1 s and a steady window of 60 s (plus a daily window
// on a few operations), counted per operation and per principal (the account for private keys, the app install
// for OAuth). `timeScale` shortens every window n times so tests can cross windows quickly.
import type { OperationSpec } from './operations.ts';

interface Window {
  start: number;
  count: number;
}

interface Counters {
  burst: Window;
  steady: Window;
  daily: Window;
}

export type RateDecision =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | { allowed: false; retryAfterSeconds: number };

export class RateLimiter {
  private readonly counters = new Map<string, Counters>();
  private readonly burstMs: number;
  private readonly steadyMs: number;
  private readonly dailyMs: number;

  constructor(timeScale: number) {
    this.burstMs = 1000 / timeScale;
    this.steadyMs = 60_000 / timeScale;
    this.dailyMs = 86_400_000 / timeScale;
  }

  take(principal: string, operation: OperationSpec, now: number): RateDecision {
    const key = `${principal} ${operation.operationId}`;
    let counters = this.counters.get(key);
    if (!counters) {
      counters = {
        burst: { start: now, count: 0 },
        steady: { start: now, count: 0 },
        daily: { start: now, count: 0 },
      };
      this.counters.set(key, counters);
    }
    const roll = (window: Window, length: number) => {
      if (now - window.start >= length) {
        window.start = now - ((now - window.start) % length);
        window.count = 0;
      }
    };
    roll(counters.burst, this.burstMs);
    roll(counters.steady, this.steadyMs);
    roll(counters.daily, this.dailyMs);
    const waits: number[] = [];
    if (counters.burst.count >= operation.burst) waits.push(counters.burst.start + this.burstMs - now);
    if (counters.steady.count >= operation.steady) waits.push(counters.steady.start + this.steadyMs - now);
    if (operation.daily > 0 && counters.daily.count >= operation.daily) {
      waits.push(counters.daily.start + this.dailyMs - now);
    }
    if (waits.length > 0) {
      // Retry-After is whole seconds, as Klaviyo sends it; never 0, which would invite an immediate retry.
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(Math.max(...waits) / 1000)) };
    }
    counters.burst.count++;
    counters.steady.count++;
    counters.daily.count++;
    return {
      allowed: true,
      limit: operation.steady,
      remaining: operation.steady - counters.steady.count,
      resetSeconds: Math.max(0, Math.ceil((counters.steady.start + this.steadyMs - now) / 1000)),
    };
  }

  clear(): void {
    this.counters.clear();
  }
}
