// GET /api/v1/dashboard: what the console's dashboard charts, per minute over the last hour —
// transfers by state, Klaviyo calls and 429s, queue depth, and rate budget use per tier.
// Transfer series come from the transfer table; Klaviyo series from sampling the clients' counters.
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { KlaviyoClientStats } from '../../klaviyo/transport.ts';
import type { ServiceContext } from '../../service/context.ts';

export const WINDOW_MINUTES = 60;
const SAMPLE_EVERY_MS = 5000;
const TRANSFER_STATES = ['queued', 'running', 'succeeded', 'skipped', 'failed', 'dead'];

export type KlaviyoStatsSource = () => Promise<KlaviyoClientStats[]>;

export interface DashboardAnswer {
  generated_at: string;
  minutes: number[];
  transfers: Record<string, number[]>;
  klaviyo: { calls: number[]; rate_limited: number[]; available: boolean };
  queue_depth: number[];
  queue: Record<string, number>;
  budgets: { tier: string; used: number; limit: number }[];
  budget_history: { tier: string; percent: (number | null)[] }[];
}

interface MinuteSample {
  calls: number;
  rateLimited: number;
  budgetPercent: Map<string, number>;
}

/** Turns the clients' running totals into per-minute deltas; kept in memory for the last hour. */
export class KlaviyoSampler {
  private readonly minutes = new Map<number, MinuteSample>();
  private last: { calls: number; rateLimited: number } | null = null;
  current: { tier: string; used: number; limit: number }[] = [];
  private readonly source: KlaviyoStatsSource;
  private readonly now: () => number;

  constructor(source: KlaviyoStatsSource, now: () => number = Date.now) {
    this.source = source;
    this.now = now;
  }

  get hasSamples(): boolean {
    return this.last !== null;
  }

  async sample(): Promise<void> {
    const all = await this.source();
    const calls = all.reduce((n, s) => n + s.calls, 0);
    const rateLimited = all.reduce((n, s) => n + s.rateLimited, 0);
    const minute = minuteOf(this.now());
    const slot = this.minutes.get(minute) ?? { calls: 0, rateLimited: 0, budgetPercent: new Map() };
    // The first sample only sets the baseline: counts from before the dashboard existed have no minute.
    if (this.last) {
      slot.calls += Math.max(0, calls - this.last.calls);
      slot.rateLimited += Math.max(0, rateLimited - this.last.rateLimited);
    }
    this.last = { calls, rateLimited };
    // Each client is one quota; per tier the busiest quota is what can stall transfers.
    const byTier = new Map<string, { used: number; limit: number }>();
    for (const s of all) {
      for (const t of s.tiers) {
        const steady = t.windows.find((w) => w.name === 'steady') ?? t.windows[0];
        if (!steady || steady.limit <= 0) continue;
        const prev = byTier.get(t.tier);
        if (!prev || steady.used / steady.limit > prev.used / prev.limit) byTier.set(t.tier, steady);
      }
    }
    this.current = [...byTier].map(([tier, w]) => ({ tier, used: w.used, limit: w.limit }));
    for (const [tier, w] of byTier) {
      const pct = Math.round((1000 * w.used) / w.limit) / 10;
      slot.budgetPercent.set(tier, Math.max(slot.budgetPercent.get(tier) ?? 0, pct));
    }
    this.minutes.set(minute, slot);
    for (const m of this.minutes.keys()) if (m < minute - WINDOW_MINUTES * 60) this.minutes.delete(m);
  }

  series(minutes: number[]) {
    const tiers = new Set<string>();
    for (const s of this.minutes.values()) for (const t of s.budgetPercent.keys()) tiers.add(t);
    return {
      calls: minutes.map((m) => this.minutes.get(m)?.calls ?? 0),
      rateLimited: minutes.map((m) => this.minutes.get(m)?.rateLimited ?? 0),
      budgets: [...tiers].sort().map((tier) => ({
        tier,
        percent: minutes.map((m) => this.minutes.get(m)?.budgetPercent.get(tier) ?? null),
      })),
    };
  }
}

/** Epoch seconds of the start of the minute holding `ms`. */
function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000) * 60;
}

function minuteOfIso(text: string): number {
  return minuteOf(Date.parse(`${text.slice(0, 16)}:00.000Z`));
}

/**
 * The clients' counters: a source the service provides (`ctx.klaviyoStats`), or else the cached client
 * of each subscription that has credentials (klaviyoFor answers the same client each time).
 */
function statsSourceOf(ctx: ServiceContext): KlaviyoStatsSource {
  const provided = (ctx as unknown as { klaviyoStats?: unknown }).klaviyoStats;
  if (typeof provided === 'function') return provided as KlaviyoStatsSource;
  return async () => {
    const subs = await ctx.store.db.selectFrom('subscriptions').select('id').execute();
    const clients = await Promise.allSettled(subs.map((s) => ctx.klaviyoFor(s.id)));
    const stats: KlaviyoClientStats[] = [];
    for (const c of clients) if (c.status === 'fulfilled') stats.push(await c.value.stats());
    return stats;
  };
}

export async function transferSeries(ctx: ServiceContext, minutes: number[]) {
  const since = new Date(minutes[0] * 1000).toISOString();
  const db = ctx.store.db;
  const transfers: Record<string, number[]> = Object.fromEntries(
    TRANSFER_STATES.map((s) => [s, minutes.map(() => 0)]),
  );
  const index = new Map(minutes.map((m, i) => [m, i]));
  const queue: Record<string, number> = Object.fromEntries(TRANSFER_STATES.map((s) => [s, 0]));
  let depth = minutes.map(() => 0);
  try {
    const byState = await db
      .selectFrom('transfers')
      .select(['state', sql<string>`substr(updated_at, 1, 16)`.as('minute'), sql<number>`count(*)`.as('n')])
      .where('updated_at', '>=', since)
      .groupBy(['state', sql`substr(updated_at, 1, 16)`])
      .execute();
    for (const row of byState) {
      const i = index.get(minuteOfIso(row.minute));
      if (i === undefined) continue;
      if (!transfers[row.state]) transfers[row.state] = minutes.map(() => 0);
      transfers[row.state][i] += Number(row.n);
    }
    const now = await db
      .selectFrom('transfers')
      .select(['state', sql<number>`count(*)`.as('n')])
      .groupBy('state')
      .execute();
    for (const row of now) queue[row.state] = Number(row.n);
    depth = await queueDepth(ctx, minutes, index, queue.queued + queue.running);
  } catch (err) {
    // Before the transfer tables are migrated there is simply nothing to chart yet.
    ctx.log.debug({ err }, 'dashboard: transfer series unavailable');
  }
  return { transfers, queue, depth };
}

/** Waiting transfers at the end of each minute, walked back from now: minus arrivals, plus departures. */
async function queueDepth(
  ctx: ServiceContext,
  minutes: number[],
  index: Map<number, number>,
  waitingNow: number,
) {
  const since = new Date(minutes[0] * 1000).toISOString();
  const db = ctx.store.db;
  const arrivals = await db
    .selectFrom('transfers')
    .select([sql<string>`substr(created_at, 1, 16)`.as('minute'), sql<number>`count(*)`.as('n')])
    .where('created_at', '>=', since)
    .groupBy(sql`substr(created_at, 1, 16)`)
    .execute();
  const departures = await db
    .selectFrom('transfers')
    .select([sql<string>`substr(updated_at, 1, 16)`.as('minute'), sql<number>`count(*)`.as('n')])
    .where('updated_at', '>=', since)
    .where('state', 'not in', ['queued', 'running'])
    .groupBy(sql`substr(updated_at, 1, 16)`)
    .execute();
  const net = minutes.map(() => 0);
  for (const r of arrivals) {
    const i = index.get(minuteOfIso(r.minute));
    if (i !== undefined) net[i] += Number(r.n);
  }
  for (const r of departures) {
    const i = index.get(minuteOfIso(r.minute));
    if (i !== undefined) net[i] -= Number(r.n);
  }
  const depth = minutes.map(() => 0);
  let level = waitingNow;
  for (let i = minutes.length - 1; i >= 0; i--) {
    depth[i] = Math.max(0, level);
    level -= net[i];
  }
  return depth;
}

export async function register(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const sampler = new KlaviyoSampler(statsSourceOf(ctx));
  let timer: NodeJS.Timeout | null = null;
  // Sampling in the background gives each minute its own calls, even while nobody watches.
  const tick = () =>
    sampler.sample().catch((err) => ctx.log.debug({ err }, 'dashboard: stats sample failed'));
  app.addHook('onReady', async () => {
    await tick();
    timer = setInterval(tick, SAMPLE_EVERY_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
  });

  app.get('/api/v1/dashboard', async (): Promise<DashboardAnswer> => {
    const nowMs = Date.now();
    const last = minuteOf(nowMs);
    const minutes = Array.from({ length: WINDOW_MINUTES }, (_, i) => last - (WINDOW_MINUTES - 1 - i) * 60);
    await sampler.sample().catch(() => {});
    const { transfers, queue, depth } = await transferSeries(ctx, minutes);
    const k = sampler.series(minutes);
    return {
      generated_at: new Date(nowMs).toISOString(),
      minutes,
      transfers,
      klaviyo: {
        calls: k.calls,
        rate_limited: k.rateLimited,
        available: sampler.hasSamples,
      },
      queue_depth: depth,
      queue,
      budgets: sampler.current,
      budget_history: k.budgets,
    };
  });
}
