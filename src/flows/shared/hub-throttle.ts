// The subscription's throttle on writes into the hub (SPEC S2 `hub_throttle_limit` per
// `hub_throttle_seconds`): Profile → Customer waits for room in a sliding window before each write, so a
// burst of Klaviyo changes cannot flood the hub (and the systems fed by its change feed) faster than the
// subscription allows. One window per subscription in this process.

export interface HubThrottleOptions {
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Window {
  limit: number;
  windowMs: number;
  /** Times (ms) of the writes still inside the window, oldest first. */
  writes: number[];
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export class HubThrottle {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: HubThrottleOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Waits until the subscription's window has room, then records and answers how many of `count` writes
   * may go now (at least one); the caller writes that many and asks again for the rest.
   */
  async take(
    subscriptionId: string,
    count: number,
    limits: { limit: number; seconds: number },
    signal?: AbortSignal,
  ): Promise<number> {
    const limit = Math.max(1, Math.floor(limits.limit));
    const windowMs = Math.max(1, limits.seconds) * 1000;
    let window = this.windows.get(subscriptionId);
    if (!window || window.limit !== limit || window.windowMs !== windowMs) {
      window = { limit, windowMs, writes: window?.writes ?? [] };
      this.windows.set(subscriptionId, window);
    }
    for (;;) {
      const now = this.now();
      while (window.writes.length > 0 && window.writes[0] <= now - windowMs) window.writes.shift();
      const room = Math.min(count, limit - window.writes.length);
      if (room > 0) {
        for (let i = 0; i < room; i++) window.writes.push(now);
        return room;
      }
      // Full: wait for the oldest write to leave the window.
      await this.sleep(Math.max(1, window.writes[0] + windowMs - now), signal);
    }
  }
}
